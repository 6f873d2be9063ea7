from datetime import date, datetime

import pytest

from identity import normalize as nz


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  José-María  ", "jose maria"),
        ("ÁLVARO", "alvaro"),
        ("O'Neill", "o neill"),
        ("Straße", "strasse"),
        (None, ""),
    ],
)
def test_fold(raw, expected):
    assert nz.fold(raw) == expected


@pytest.mark.parametrize(
    ("raw", "nicknames", "expected"),
    [
        ("Pepe", True, "jose"),
        ("Pepe", False, "pepe"),
        ("Bill Henry", True, "william henry"),
        ("Lucía", True, "lucia"),
    ],
)
def test_given_name_key(raw, nicknames, expected):
    assert nz.given_name_key(raw, nicknames) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("de la Fuente", "fuente"),
        ("García-López", "garcia lopez"),
        ("García y López", "garcia lopez"),
        ("van der Berg", "berg"),
        ("Von Trapp", "trapp"),
        ("del Río", "rio"),
        ("Scott Jr.", "scott"),
        ("Esteban Medina hijo", "esteban medina"),
        ("Jr", "jr"),
    ],
)
def test_family_name_key(raw, expected):
    assert nz.family_name_key(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Scott Jr.", "junior"),
        ("Scott, Sr.", "senior"),
        ("Esteban Medina hijo", "junior"),
        ("Wilson II", "junior"),
        ("Wilson III", "third"),
        ("Scott", "none"),
        ("Jr", "none"),
        ("", ""),
    ],
)
def test_generation_key_names_the_suffix_or_none(raw, expected):
    assert nz.generation_key(raw) == expected


@pytest.mark.parametrize(
    ("raw", "dots", "tags", "expected"),
    [
        (" John.Smith+news@GMail.com ", True, True, "johnsmith@gmail.com"),
        ("john.smith+news@gmail.com", False, True, "john.smith@gmail.com"),
        ("john.smith+news@gmail.com", True, False, "johnsmith+news@gmail.com"),
        ("ana.lopez@acme.es", True, True, "ana.lopez@acme.es"),
        ("j.s@googlemail.com", True, True, "js@gmail.com"),
        ("not-an-email", True, True, ""),
        ("a@b", True, True, ""),
    ],
)
def test_email_key(raw, dots, tags, expected):
    assert nz.email_key(raw, dots, tags) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Acme, S.A.", "acme"),
        ("ACME S.A.U.", "acme"),
        ("Acme SL", "acme"),
        ("The Acme Company Inc.", "acme"),
        ("Acme Ltd", "acme"),
        ("Acme GmbH", "acme"),
        ("Acme Holdings LLC", "acme holdings"),
        ("Telefónica, S.A.", "telefonica"),
    ],
)
def test_organization_name_key(raw, expected):
    assert nz.organization_name_key(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ana@acme.es", "acme.es"),
        ("https://www.Acme.es/about", "acme.es"),
        ("acme.es:8080", "acme.es"),
        ("ana@gmail.com", ""),
        ("hotmail.com", ""),
        ("localhost", ""),
    ],
)
def test_domain_key(raw, expected):
    assert nz.domain_key(raw) == expected


@pytest.mark.parametrize(
    ("function", "raw", "expected"),
    [
        (nz.postcode_key, "sw1a 1aa", "SW1A1AA"),
        (nz.postcode_key, "28-001", "28001"),
        (nz.street_key, "Calle Mayor, 5", "c mayor 5"),
        (nz.street_key, "12 Stanley Street", "12 stanley st"),
        (nz.national_id_key, "12.345.678-z", "12345678Z"),
    ],
)
def test_address_and_id_keys(function, raw, expected):
    assert function(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1980-02-29", date(1980, 2, 29)),
        ("19800229", date(1980, 2, 29)),
        ("29/02/1980", date(1980, 2, 29)),
        (datetime(1980, 2, 29, 10), date(1980, 2, 29)),
        ("1980-02-30", None),
        ("", None),
        (None, None),
    ],
)
def test_date_key(raw, expected):
    assert nz.date_key(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+34 612 34 56 78", "612345678"),
        ("0034612345678", "612345678"),
        ("612-345-678", "612345678"),
        ("(512) 375-2477", "123752477"),
        ("+1 512 375 2477", "123752477"),
        ("12 34", ""),
        (None, ""),
    ],
)
def test_phone_match_key_ignores_format_and_country_prefix(raw, expected):
    assert nz.phone_match_key(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Acme Wave S.L.", "acmewave"),
        ("ana.ruiz@acmewave.es", "acmewave"),
        ("ANA@AcmeWave.co.uk", "acmewave"),
        ("ana.ruiz@gmail.com", ""),
        ("", ""),
    ],
)
def test_employer_key_puts_names_and_work_emails_in_one_space(raw, expected):
    assert nz.employer_key(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ana.ruiz@acmewave.es", "acmewave"),
        ("Ana.Ruiz+crm@AcmeWave.es", "acmewave"),
        ("info@acmewave.es", ""),
        ("VENTAS+web@acmewave.es", ""),
        ("ana.ruiz@gmail.com", ""),
        ("not an email", ""),
        ("", ""),
    ],
)
def test_mailbox_employer_key_names_the_employer_of_a_personal_work_mailbox(raw, expected):
    assert nz.mailbox_employer_key(raw) == expected
