using System.Diagnostics;
using System.Text.Json;
using Bazaar.Server.Conversations;
using Bazaar.Server.Channels;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Bazaar.Server.Shop;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Bazaar.Bench;

/// <summary>
/// A flash sale: N purchase attempts from U distinct users on K units of one product, through the same
/// Reservations + Purchase services the chat flow calls (reserve, then confirm from the wallet, delivery queued in the
/// outbox), with real concurrency. An attempt's latency is both steps. Afterwards: units sold, orders, purchase
/// postings and wallets charged are counted and the ledger is verified.
/// </summary>
public static class FlashSaleBench
{
    public sealed record Result(string Provider, int Attempts, int Users, int Units, int Concurrency, double Seconds, double AttemptsPerSecond,
        double P50Ms, double P95Ms, double P99Ms, double BuyersP50Ms, double BuyersMaxMs, int Bought, int SoldOut, int OtherRefusals, int UnitsSold, int Orders, int PurchasePostings,
        long AmountChargedMinor, long ExpectedChargeMinor, int WarmupAttempts, bool LedgerVerified, bool Exact, string Machine, DateTime At);

    private const int Warmup = 200;

    public static async Task<int> RunAsync(string[] args)
    {
        string Arg(string key, string fallback)
        {
            var i = Array.IndexOf(args, key);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        var pg = Arg("--pg", Environment.GetEnvironmentVariable("BAZAAR_BENCH_PG") ?? Environment.GetEnvironmentVariable("BAZAAR_TEST_PG") ?? "");
        var provider = Arg("--provider", pg.Length > 0 ? "both" : "sqlite").ToLowerInvariant();
        var attempts = int.Parse(Arg("--attempts", "10000"));
        var users = int.Parse(Arg("--users", "2000"));
        var units = int.Parse(Arg("--units", "100"));
        var concurrency = int.Parse(Arg("--concurrency", "64"));
        var failed = false;
        foreach (var p in provider == "both" ? new[] { "sqlite", "postgres" } : [provider])
        {
            if (p == "postgres" && pg.Length == 0) { Console.Error.WriteLine("PostgreSQL needs --pg or BAZAAR_BENCH_PG."); return 2; }
            var r = await RunOneAsync(p, pg, attempts, users, units, concurrency);
            var json = JsonSerializer.Serialize(r, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true });
            Console.WriteLine(json);
            var dir = Path.Combine(BenchHost.RepoRoot(), "bench", "results");
            Directory.CreateDirectory(dir);
            await File.WriteAllTextAsync(Path.Combine(dir, $"flash-sale-{p}.json"), json + "\n");
            failed |= !r.Exact;
        }
        return failed ? 1 : 0;
    }

    private static async Task<Result> RunOneAsync(string provider, string pgServer, int attempts, int userCount, int units, int concurrency)
    {
        string cs, pgName = "";
        string? sqlitePath = null;
        if (provider == "postgres")
        {
            pgName = $"bazaar_bench_{Guid.NewGuid():N}";
            await ExecPg(pgServer, $"CREATE DATABASE \"{pgName}\"");
            cs = new NpgsqlConnectionStringBuilder(pgServer) { Database = pgName, MaxPoolSize = concurrency + 10 }.ToString();
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
            ["Shop:Currency"] = "USD",
        }).Build();
        var services = new ServiceCollection()
            .AddLogging(l => l.SetMinimumLevel(LogLevel.Warning))
            .AddSingleton(TimeProvider.System)
            .AddData(config)
            .AddOutbox(config)
            .AddJobs(config)
            .AddSingleton<WriteGate>()
            .AddScoped<Ledger>()
            .Configure<ShopOptions>(config.GetSection("Shop"))
            .AddScoped<ShopTransaction>().AddScoped<Reservations>().AddScoped<Purchase>().AddScoped<ShopDelivery>().AddScoped<Entitlements>();
        await using var sp = services.BuildServiceProvider();
        try
        {
            long productId, warmupProduct;
            List<long> userIds, warmupUsers;
            await using (var scope = sp.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
                await db.Database.MigrateAsync();
                var now = DateTime.UtcNow;
                for (var i = 0; i < userCount; i++)
                    db.Users.Add(new ChatUser { Channel = ChatChannel.Telegram, ExternalId = (10_000_000 + i).ToString(), CreatedAt = now, LastSeenAt = now });
                var product = new Product { Name = "Flash sale sneakers", Kind = ProductKind.UniqueItem, BasePrice = 50_00, DiscountPercent = 40, CreatedAt = now, UpdatedAt = now };
                db.Products.Add(product);
                await db.SaveChangesAsync();
                productId = product.Id;
                for (var i = 0; i < units; i++)
                    db.StockUnits.Add(new StockUnit { ProductId = productId, Details = $"Pair {i}", Address = "Pick-up point 1", Latitude = 52.2, Longitude = 21.0, CreatedAt = now });
                await db.SaveChangesAsync();
                userIds = await db.Users.Select(u => u.Id).ToListAsync();
                // A warm-up on another product and other users: the server has compiled its queries and opened its pool
                // before a real sale starts; none of it is counted below.
                // The warm-up buys the same kind of goods as the sale (a unit with an address and a location), so the sale's
                // code is compiled before it is timed, as in a server that has been running.
                var warm = new Product { Name = "Warm-up", Kind = ProductKind.UniqueItem, BasePrice = 1_00, CreatedAt = now, UpdatedAt = now };
                db.Products.Add(warm);
                for (var i = 0; i < Warmup; i++)
                    db.Users.Add(new ChatUser { Channel = ChatChannel.Telegram, ExternalId = (20_000_000 + i).ToString(), CreatedAt = now, LastSeenAt = now });
                await db.SaveChangesAsync();
                warmupProduct = warm.Id;
                for (var i = 0; i < Warmup / 2; i++)
                    db.StockUnits.Add(new StockUnit { ProductId = warm.Id, Details = $"Warm-up pair {i}", Address = "Pick-up point 2", Latitude = 52.3, Longitude = 21.1, CreatedAt = now });
                await db.SaveChangesAsync();
                warmupUsers = await db.Users.Where(u => !userIds.Contains(u.Id)).Select(u => u.Id).ToListAsync();
            }
            foreach (var id in userIds.Concat(warmupUsers))
            {
                await using var scope = sp.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<Ledger>()
                    .TransferAsync(AccountRef.DepositsClearing("bench"), AccountRef.Wallet(id), 100_00, "USD", "deposit", null, default);
            }

            await Task.WhenAll(warmupUsers.Select(u => Task.Run(async () =>
            {
                await using var scope = sp.CreateAsyncScope();
                var r = await scope.ServiceProvider.GetRequiredService<Reservations>().ReserveAsync(u, warmupProduct, default);
                if (r.Reservation is not null) await scope.ServiceProvider.GetRequiredService<Purchase>().ConfirmAsync(u, r.Reservation.Id, default);
            })));

            // Attempts in a random order; every user tries several times.
            var rng = new Random(42);
            var queue = Enumerable.Range(0, attempts).Select(i => userIds[i % userIds.Count]).OrderBy(_ => rng.Next()).ToArray();
            var next = -1;
            int bought = 0, soldOut = 0, other = 0;
            var latencies = new double[attempts];
            var boughtAt = new bool[attempts];
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
            {
                for (var i = Interlocked.Increment(ref next); i < attempts; i = Interlocked.Increment(ref next))
                {
                    // Each attempt is its own request, queued behind the work already waiting (as Kestrel would queue it):
                    // without this, a worker whose database calls complete synchronously keeps its thread for attempt
                    // after attempt while a buyer's continuation waits for a free thread.
                    await Task.Yield();
                    var user = queue[i];
                    var t = Stopwatch.GetTimestamp();
                    string outcome;
                    await using (var scope = sp.CreateAsyncScope())
                    {
                        var r = await scope.ServiceProvider.GetRequiredService<Reservations>().ReserveAsync(user, productId, default);
                        if (r.Reservation is null) outcome = r.Error!;
                        else
                        {
                            var p = await scope.ServiceProvider.GetRequiredService<Purchase>().ConfirmAsync(user, r.Reservation.Id, default);
                            outcome = p.Ok ? "ok" : p.Error!;
                        }
                    }
                    latencies[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                    if (outcome == "ok") { Interlocked.Increment(ref bought); boughtAt[i] = true; }
                    else if (outcome == ShopErrors.SoldOut) Interlocked.Increment(ref soldOut);
                    else Interlocked.Increment(ref other);
                }
            })));
            var seconds = clock.Elapsed.TotalSeconds;

            int sold, orders, postings;
            long charged;
            Ledger.Verification v;
            await using (var scope = sp.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
                sold = await db.StockUnits.CountAsync(u => u.ProductId == productId && u.Status == UnitStatus.Sold);
                orders = await db.Orders.CountAsync(o => o.ProductId == productId);
                postings = await db.LedgerTransactions.CountAsync(t => t.Kind == "purchase" &&
                    db.Reservations.Any(r => r.ProductId == productId && t.ExternalRef == "shop:reservation:" + r.Id));
                var keys = userIds.Select(id => AccountRef.Wallet(id).Key).ToList();
                var balances = await db.LedgerAccounts.Where(a => keys.Contains(a.Key)).Select(a => a.Balance).ToListAsync();
                charged = balances.Sum(b => 100_00 - b);
                v = await scope.ServiceProvider.GetRequiredService<Ledger>().VerifyAsync(default);
            }
            var sorted = latencies.OrderBy(x => x).ToArray();
            var buyers = latencies.Where((_, i) => boughtAt[i]).OrderBy(x => x).ToArray();
            // The buyers are the slow end: each sale is two write transactions, queued behind the others' on the one
            // SQLite writer or on the shared sales-revenue row on PostgreSQL.
            double BuyersPct(double q) => buyers.Length == 0 ? 0 : Math.Round(buyers[(int)Math.Min(buyers.Length - 1, q * buyers.Length)], 2);
            double Pct(double q) => Math.Round(sorted[(int)Math.Min(sorted.Length - 1, q * sorted.Length)], 2);
            var exact = bought == units && sold == units && orders == units && postings == units && charged == units * 30_00L && v.Ok;
            return new Result(provider, attempts, userCount, units, concurrency, Math.Round(seconds, 2), Math.Round(attempts / seconds, 1),
                Pct(0.50), Pct(0.95), Pct(0.99), BuyersPct(0.50), BuyersPct(1.0), bought, soldOut, other, sold, orders, postings, charged, units * 30_00L, Warmup, v.Ok, exact,
                $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, shared with other developers", DateTime.UtcNow);
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
