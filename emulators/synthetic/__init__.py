"""Synthetic people and organizations spread over source systems, with ground truth.

``generate(n_records, seed)`` builds a deterministic world full of the hard negatives
real CRM data holds; ``canonical.iter_person_records`` streams it as canonical records
for the identity benchmarks; ``export`` writes the demo's sample CSV files.
"""
