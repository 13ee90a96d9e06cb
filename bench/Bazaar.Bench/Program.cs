// Benchmarks: `dotnet run -c Release --project bench/Bazaar.Bench -- <name> [options]`.
// Each prints its figures and writes them under bench/results/.
using Bazaar.Bench;

return args.FirstOrDefault() switch
{
    "jobs" => await JobsBench.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.WriteLine("""
        usage: Bazaar.Bench <benchmark> [options]
          jobs --provider Sqlite|Postgres --count 100000 --workers 4 [--pg "<server connection string>"]
        """);
    return 2;
}
