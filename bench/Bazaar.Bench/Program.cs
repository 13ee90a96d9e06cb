// Benchmarks live here; each prints its figures and writes them under bench/results/.
using Bazaar.Bench;

return args.FirstOrDefault() switch
{
    "webhook" => await WebhookBench.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.WriteLine("""
        Bazaar benchmarks: dotnet run -c Release --project bench/Bazaar.Bench -- <name> [options]
          webhook   load on POST /api/v1/telegram/webhook (see WebhookBench.cs for options)
        """);
    return 1;
}
