"""Synthetic data: one generator with presets, for the demo (`make run`) and the benchmarks (`make bench`).

    flask seed-demo [--if-empty]                     build("demo")      app.synthetic.demo
    flask seed-bench --size small|quick|province     build("small"), …  app.synthetic.build

Presets (app.synthetic.presets): `demo` is the hand-written Đoàn Khối of app.synthetic.demo — its
units, people and accounts, and the tour of `doanvien` and `bithu` written through the app's own
services — with everybody else's year written by the generator's steps at a person's pace; `small`,
`quick` and `province` are the generator's own organisations, bulk-inserted (app.synthetic.build).
Never in production (SEED_DEMO_ALLOWED).

The rooms: presets, sink (bulk inserts), records (what the generator keeps), organisation (units,
people), plans (standards, plans), diary (entries), dependents (what reviews leave), ratings with
rating_scale and rating_members (last year's grading), texts, themes and grading_texts (the words).
"""
