// Benchmarks live here; each prints its figures and writes them under bench/results/.
Console.WriteLine("Bazaar benchmarks: run with a benchmark name. None are registered yet.");
