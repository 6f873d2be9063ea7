"""A local stand-in for BambooHR's REST API: one company's employees over real HTTP.

    with BambooHREmulator(config=EmulatorConfig(error_rate=0.1)) as hr:
        generate(hr.store, people=500)
        ... GET hr.api_root + "/employees/changed?since=..." with HTTP Basic (hr.api_key, "x") ...

`serve()` runs one until interrupted (`relhub emulate bamboohr --port N --data FILE`).
"""

from __future__ import annotations

from emulators.bamboohr.seed import add_employees, generate, load_data_file
from emulators.bamboohr.server import DEFAULT_API_KEY, BambooHREmulator, default_config, serve
from emulators.bamboohr.store import CompanyStore
from emulators.gate import EmulatorConfig

__all__ = [
    "DEFAULT_API_KEY",
    "BambooHREmulator",
    "CompanyStore",
    "EmulatorConfig",
    "add_employees",
    "default_config",
    "generate",
    "load_data_file",
    "serve",
]
