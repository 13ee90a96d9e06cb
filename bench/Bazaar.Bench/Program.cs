// Benchmarks: `dotnet run -c Release --project bench/Bazaar.Bench -- <name> [options]`.
// Each prints its figures and writes them under bench/results/.
using Bazaar.Bench;

return args.FirstOrDefault() switch
{
    "ledger" => await LedgerBench.RunAsync(args[1..]),
    "jobs" => await JobsBench.RunAsync(args[1..]),
    "webhook" => await WebhookBench.RunAsync(args[1..]),
    "flash-sale" => await FlashSaleBench.RunAsync(args[1..]),
    "draw" => await DrawBench.RunAsync(args[1..]),
    "broadcast" => await BroadcastBench.RunAsync(args[1..]),
    "scale-out" => await ScaleOutBench.RunAsync(args[1..]),
    _ => Usage(args.FirstOrDefault()),
};

static int Usage(string? name)
{
    Console.WriteLine("""
        Bazaar benchmarks: dotnet run -c Release --project bench/Bazaar.Bench -- <name> [options]
          ledger    [--provider sqlite|postgres|both] [--seconds 15] [--workers 16] [--wallets 200] [--pg <connection string>]
          jobs      [--provider Sqlite|Postgres] [--count 100000] [--workers 4] [--pg <server connection string>]
          flash-sale [--provider sqlite|postgres|both] [--attempts 10000] [--users 2000] [--units 100] [--concurrency 64] [--pg <server>]
          draw      [--participants 1000000] [--winners 1000] [--runs 10]   the fair draw and its verification
          broadcast [--provider sqlite|postgres] [--pg <server>] [--counts 10000,100000] [--batch 100] [--parallelism 8]
                    sender capacity and peak RSS of a broadcast against a fake Bot API, limits lifted
          scale-out [--instances 1,2,3] [--pg <server>] [--limit 30] [--lifted-limit 1000] [--recipients 10000]
                    1, 2, 3 instances on one PostgreSQL behind nginx: webhook handled/s and the cluster's send rate
          webhook   load on POST /api/v1/telegram/webhook (see WebhookBench.cs for options)
        """);
    return name is null or "help" or "--help" ? 0 : 2;
}
