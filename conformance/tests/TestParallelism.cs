// Most of this project's time is waiting, not computing: a case waits out the window in which an answer must not
// come, a server its timeout. ViolationTests alone took 272 s of wall time for 69 s of CPU. xUnit's default runs one
// test collection per core, two here, so the cores idled while the project took 12 minutes, the longest step of
// ./test.sh; three at once keep them busier.
[assembly: CollectionBehavior(MaxParallelThreads = 3)]
