"""The `demo` preset: the demo organisation `make run` seeds on first start (`flask seed-demo`).

seed (units, people, accounts, then the rest in order), diary (the hand-written tour of `doanvien`
and `bithu`: plans, entries, reviews through the app's services), year (everybody else's year, by
the generator's steps of app.synthetic.build), grading (this year's rounds, one of them ratified).
"""
