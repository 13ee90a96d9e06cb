// Benchmarks: `dotnet run -c Release --project bench/Bazaar.Bench -- <name> [options]`.
// Each prints its figures and writes them under bench/results/.
using Bazaar.Bench;

var name = args.Length > 0 ? args[0] : "";
var rest = args.Skip(1).ToArray();
switch (name)
{
    case "ledger":
        return await LedgerBench.RunAsync(rest);
    case "jobs":
        return await JobsBench.RunAsync(rest);
    default:
        Console.WriteLine("Bazaar benchmarks: ledger, jobs");
        Console.WriteLine("  ledger [--provider sqlite|postgres|both] [--seconds 15] [--workers 16] [--wallets 200] [--pg <connection string>]");
        Console.WriteLine("  jobs [--provider Sqlite|Postgres] [--count 100000] [--workers 4] [--pg <server connection string>]");
        return name is "" or "help" or "--help" ? 0 : 2;
}
