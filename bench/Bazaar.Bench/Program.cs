// Benchmarks: `dotnet run -c Release --project bench/Bazaar.Bench -- <name> [options]`.
// Each prints its figures and writes them under bench/results/.
using Bazaar.Bench;

var name = args.Length > 0 ? args[0] : "";
var rest = args.Skip(1).ToArray();
switch (name)
{
    case "ledger":
        return await LedgerBench.RunAsync(rest);
    default:
        Console.WriteLine("Bazaar benchmarks: ledger");
        Console.WriteLine("  ledger [--provider sqlite|postgres|both] [--seconds 15] [--workers 16] [--wallets 200] [--pg <connection string>]");
        return name is "" or "help" or "--help" ? 0 : 2;
}
