using System.Diagnostics;
using System.Text.Json;
using Bazaar.Server.Data;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Bazaar.Bench;

/// <summary>
/// Concurrent transfers between many wallets on a fresh database through the real <see cref="Ledger"/>,
/// each in its own scope, then the ledger invariant is verified.
/// </summary>
public static class LedgerBench
{
    public sealed record Result(string Provider, int Wallets, int Workers, double Seconds, long Transfers, long Refused,
        double TransfersPerSecond, double P50Ms, double P95Ms, double P99Ms, bool InvariantHolds, long TotalBefore, long TotalAfter,
        string Machine, DateTime At);

    public static async Task<int> RunAsync(string[] args)
    {
        string Arg(string key, string fallback)
        {
            var i = Array.IndexOf(args, key);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        var pg = Arg("--pg", Environment.GetEnvironmentVariable("BAZAAR_BENCH_PG") ?? Environment.GetEnvironmentVariable("BAZAAR_TEST_PG") ?? "");
        var provider = Arg("--provider", pg.Length > 0 ? "both" : "sqlite").ToLowerInvariant();
        var seconds = double.Parse(Arg("--seconds", "15"), System.Globalization.CultureInfo.InvariantCulture);
        var workers = int.Parse(Arg("--workers", "16"));
        var wallets = int.Parse(Arg("--wallets", "200"));

        var failed = false;
        foreach (var p in provider == "both" ? new[] { "sqlite", "postgres" } : [provider])
        {
            if (p == "postgres" && pg.Length == 0)
            {
                Console.Error.WriteLine("PostgreSQL needs --pg or BAZAAR_BENCH_PG.");
                return 2;
            }
            var r = await RunOneAsync(p, pg, seconds, workers, wallets);
            var json = JsonSerializer.Serialize(r, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true });
            Console.WriteLine(json);
            var dir = Path.Combine(BenchHost.RepoRoot(), "bench", "results");
            Directory.CreateDirectory(dir);
            await File.WriteAllTextAsync(Path.Combine(dir, $"ledger-{p}.json"), json + "\n");
            failed |= !r.InvariantHolds;
        }
        return failed ? 1 : 0;
    }

    private static async Task<Result> RunOneAsync(string provider, string pgServer, double seconds, int workers, int wallets)
    {
        string cs, pgName = "";
        string? sqlitePath = null;
        if (provider == "postgres")
        {
            pgName = $"bazaar_bench_{Guid.NewGuid():N}";
            await ExecPg(pgServer, $"CREATE DATABASE \"{pgName}\"");
            cs = new NpgsqlConnectionStringBuilder(pgServer) { Database = pgName, MaxPoolSize = workers + 10 }.ToString();
        }
        else
        {
            sqlitePath = Path.Combine(Path.GetTempPath(), $"bazaar-bench-{Guid.NewGuid():N}.db");
            cs = $"Data Source={sqlitePath}";
        }

        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = provider == "postgres" ? "Postgres" : "Sqlite",
            ["ConnectionStrings:Bazaar"] = cs,
        }).Build();
        var services = new ServiceCollection()
            .AddLogging(l => l.SetMinimumLevel(LogLevel.Warning))
            .AddSingleton(TimeProvider.System)
            .AddData(config)
            .AddScoped<Ledger>();
        await using var sp = services.BuildServiceProvider();
        try
        {
            var userIds = new List<long>();
            await using (var scope = sp.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
                await db.Database.MigrateAsync();
                var now = DateTime.UtcNow;
                for (var i = 0; i < wallets; i++)
                    db.Users.Add(new ChatUser { Channel = "bench", ExternalId = i.ToString(), CreatedAt = now, LastSeenAt = now });
                await db.SaveChangesAsync();
                userIds = await db.Users.Select(u => u.Id).ToListAsync();
            }
            const long opening = 1_000_00;
            foreach (var id in userIds)
            {
                await using var scope = sp.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<Ledger>()
                    .TransferAsync(AccountRef.DepositsClearing("bench"), AccountRef.Wallet(id), opening, "USD", "deposit", null, default);
            }

            long done = 0, refused = 0;
            var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
            var stopAt = Stopwatch.StartNew();
            var tasks = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
            {
                var rng = new Random(w * 7919 + 1);
                var local = new List<double>();
                while (stopAt.Elapsed.TotalSeconds < seconds)
                {
                    var from = userIds[rng.Next(userIds.Count)];
                    var to = userIds[rng.Next(userIds.Count)];
                    if (from == to) continue;
                    var amount = rng.Next(1, 200_00);
                    var t = Stopwatch.GetTimestamp();
                    await using var scope = sp.CreateAsyncScope();
                    var r = await scope.ServiceProvider.GetRequiredService<Ledger>()
                        .TransferAsync(AccountRef.Wallet(from), AccountRef.Wallet(to), amount, "USD", "transfer", null, default);
                    local.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                    if (r.Ok) Interlocked.Increment(ref done);
                    else Interlocked.Increment(ref refused);
                }
                foreach (var l in local) latencies.Add(l);
            })).ToArray();
            await Task.WhenAll(tasks);
            var elapsed = stopAt.Elapsed.TotalSeconds;

            Ledger.Verification v;
            long totalAfter;
            await using (var scope = sp.CreateAsyncScope())
            {
                v = await scope.ServiceProvider.GetRequiredService<Ledger>().VerifyAsync(default);
                totalAfter = await scope.ServiceProvider.GetRequiredService<BazaarDb>().LedgerAccounts
                    .Where(a => a.Kind == AccountKind.Wallet).SumAsync(a => a.Balance);
            }
            var sorted = latencies.OrderBy(x => x).ToArray();
            double Pct(double q) => sorted.Length == 0 ? 0 : Math.Round(sorted[(int)Math.Min(sorted.Length - 1, q * sorted.Length)], 2);
            var total = opening * userIds.Count;
            return new Result(provider, wallets, workers, Math.Round(elapsed, 2), done, refused, Math.Round(done / elapsed, 1),
                Pct(0.50), Pct(0.95), Pct(0.99), v.Ok && totalAfter == total, total, totalAfter,
                $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}", DateTime.UtcNow);
        }
        finally
        {
            if (provider == "postgres")
            {
                NpgsqlConnection.ClearAllPools();
                await ExecPg(pgServer, $"DROP DATABASE IF EXISTS \"{pgName}\" WITH (FORCE)");
            }
            if (sqlitePath is not null)
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                foreach (var f in new[] { sqlitePath, sqlitePath + "-wal", sqlitePath + "-shm" }) File.Delete(f);
            }
        }
    }

    private static async Task ExecPg(string server, string sql)
    {
        var b = new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false };
        await using var conn = new NpgsqlConnection(b.ToString());
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
