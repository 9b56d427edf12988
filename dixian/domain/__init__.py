"""The domain vocabulary (领域词汇): the codes, dictionaries and rules every app shares, with no Django.

Risk types and grades, discovery channels, the feed catalogue, national dictionaries, resident ID-number
checks, the income line lookup and the household facts derived from a household's record live here once;
registry, feeds, the screening engine, cases and the synthetic generator import them. Nothing in this
package imports Django or another dixian package (a test guards this): the engine runs it on Spark
executors and the benchmarks without Django.
"""
