"""De-identification review (S21): blinded double review of a release sample, with consensus.

A publisher draws a keyed, stratified sample of a finished release's images and reports
(:mod:`cxrkit.review.sample`), two named readers review every item in their own random order, a
third role settles the items they disagreed on or doubted, and the numbers a publisher signs —
the exact upper bound of the PHI rate, the readers' agreement (raw, Cohen's κ, Gwet's AC1) and
their detection rates against consensus — come from :mod:`cxrkit.review.stats`; the decisions,
audit log, annotated report spans, summary and manual test-set labels are written by
:mod:`cxrkit.review.export`. The local web app of ``cxrkit review`` drives these pure functions;
see ``docs/review.md``.
"""
