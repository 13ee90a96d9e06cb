using System.Diagnostics;
using System.Text.Json;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Bazaar.Bench;

/// <summary>
/// Enqueues N trivial jobs, runs them with the job host's worker loops until all are done, and proves each
/// ran exactly once: the handler counts executions per job in an array, and the database must show every
/// job COMPLETED after exactly one attempt.
/// </summary>
public static class JobsBench
{
    public const string Type = "bench.noop";

    public static async Task<int> RunAsync(string[] args)
    {
        var provider = Arg(args, "--provider") ?? "Sqlite";
        var count = int.Parse(Arg(args, "--count") ?? "100000");
        var workers = int.Parse(Arg(args, "--workers") ?? "4");
        var pgServer = Arg(args, "--pg") ?? "Host=127.0.0.1;Port=55432;Username=postgres;Database=postgres";
        var isPg = provider.Equals("Postgres", StringComparison.OrdinalIgnoreCase);

        string cs;
        string? pgName = null, sqlitePath = null;
        if (isPg)
        {
            pgName = $"bazaar_bench_{Guid.NewGuid():N}";
            await AdminSql(pgServer, $"CREATE DATABASE \"{pgName}\"");
            cs = new NpgsqlConnectionStringBuilder(pgServer) { Database = pgName, MaxPoolSize = 50 }.ToString();
        }
        else
        {
            sqlitePath = Path.Combine(Path.GetTempPath(), $"bazaar-bench-{Guid.NewGuid():N}.db");
            cs = $"Data Source={sqlitePath}";
        }

        try
        {
            var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Database:Provider"] = isPg ? "Postgres" : "Sqlite",
                ["ConnectionStrings:Bazaar"] = cs,
                ["Jobs:Workers"] = workers.ToString(),
                ["Jobs:PollSeconds"] = "0.05",
            }).Build();
            var services = new ServiceCollection();
            services.AddLogging(b => b.AddConsole().SetMinimumLevel(LogLevel.Warning)
                .AddFilter("Microsoft.EntityFrameworkCore", LogLevel.None)); // a fresh database's "no history table" is expected
            services.AddSingleton(TimeProvider.System);
            services.AddData(config);
            services.AddJobs(config);
            var runs = new int[count];
            var executions = new Executions(runs);
            services.AddSingleton(executions);
            services.AddJobHandler<NoopHandler>(Type);
            await using var sp = services.BuildServiceProvider();

            await using (var scope = sp.CreateAsyncScope())
                await scope.ServiceProvider.GetRequiredService<BazaarDb>().Database.MigrateAsync();

            Console.WriteLine($"jobs: {count} on {provider} with {workers} workers ({Environment.ProcessorCount} cores)");
            var enqueue = Stopwatch.StartNew();
            for (var start = 0; start < count; start += 2000)
            {
                await using var scope = sp.CreateAsyncScope();
                var queue = scope.ServiceProvider.GetRequiredService<JobQueue>();
                for (var i = start; i < Math.Min(count, start + 2000); i++) queue.Enqueue(Type, new Payload(i));
                await scope.ServiceProvider.GetRequiredService<BazaarDb>().SaveChangesAsync();
            }
            enqueue.Stop();
            Console.WriteLine($"enqueued in {enqueue.Elapsed.TotalSeconds:F1} s ({count / enqueue.Elapsed.TotalSeconds:F0} jobs/s)");

            var host = sp.GetRequiredService<JobHost>();
            var process = Stopwatch.StartNew();
            await host.StartAsync(CancellationToken.None);
            long completed = 0;
            var lastReport = Stopwatch.StartNew();
            while (process.Elapsed < TimeSpan.FromMinutes(10))
            {
                // Watch the handler's counter (cheap), then confirm in the database that every job is completed.
                await Task.Delay(100);
                completed = executions.Total;
                if (completed >= count)
                {
                    await using var scope = sp.CreateAsyncScope();
                    completed = await scope.ServiceProvider.GetRequiredService<BazaarDb>().Jobs
                        .CountAsync(j => j.Type == Type && j.Status == JobStatus.Completed);
                    if (completed >= count) break;
                }
                if (lastReport.Elapsed > TimeSpan.FromSeconds(10))
                {
                    Console.WriteLine($"  {completed} done after {process.Elapsed.TotalSeconds:F0} s");
                    lastReport.Restart();
                }
            }
            process.Stop();
            await host.StopAsync(CancellationToken.None);

            await using var check = sp.CreateAsyncScope();
            var cdb = check.ServiceProvider.GetRequiredService<BazaarDb>();
            var dbCompleted = await cdb.Jobs.CountAsync(j => j.Type == Type && j.Status == JobStatus.Completed && j.Attempts == 1);
            var dbOther = await cdb.Jobs.CountAsync(j => j.Type == Type && (j.Status != JobStatus.Completed || j.Attempts != 1));
            var never = runs.Count(r => r == 0);
            var twice = runs.Count(r => r > 1);
            var exactlyOnce = never == 0 && twice == 0 && dbCompleted == count && dbOther == 0;
            var perSecond = count / process.Elapsed.TotalSeconds;

            Console.WriteLine($"processed in {process.Elapsed.TotalSeconds:F1} s: {perSecond:F0} jobs/s");
            Console.WriteLine($"executions: never {never}, more than once {twice}; database: {dbCompleted} completed after one attempt, {dbOther} otherwise");
            Console.WriteLine(exactlyOnce ? "every job ran exactly once" : "FAILED: not every job ran exactly once");

            var result = new
            {
                benchmark = "jobs", provider = isPg ? "Postgres" : "Sqlite", count, workers, cores = Environment.ProcessorCount,
                enqueueSeconds = Math.Round(enqueue.Elapsed.TotalSeconds, 2),
                enqueuePerSecond = Math.Round(count / enqueue.Elapsed.TotalSeconds),
                processSeconds = Math.Round(process.Elapsed.TotalSeconds, 2),
                jobsPerSecond = Math.Round(perSecond),
                neverRan = never, ranMoreThanOnce = twice, dbCompletedAfterOneAttempt = dbCompleted, dbOther, exactlyOnce,
                at = DateTime.UtcNow,
            };
            Directory.CreateDirectory("bench/results");
            var file = Path.Combine("bench/results", $"jobs-{result.provider.ToLowerInvariant()}.json");
            await File.WriteAllTextAsync(file, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }) + "\n");
            Console.WriteLine("wrote " + file);
            return exactlyOnce ? 0 : 1;
        }
        finally
        {
            if (pgName is not null)
            {
                NpgsqlConnection.ClearAllPools();
                await AdminSql(pgServer, $"DROP DATABASE IF EXISTS \"{pgName}\" WITH (FORCE)");
            }
            if (sqlitePath is not null)
            {
                SqliteConnection.ClearAllPools();
                foreach (var f in new[] { sqlitePath, sqlitePath + "-wal", sqlitePath + "-shm" }) File.Delete(f);
            }
        }
    }

    private static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static async Task AdminSql(string server, string sql)
    {
        var b = new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false };
        await using var conn = new NpgsqlConnection(b.ToString());
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    public sealed record Payload(int I);

    public sealed class Executions(int[] runs)
    {
        private int _total;
        public int Total => Volatile.Read(ref _total);

        public void Record(int i)
        {
            Interlocked.Increment(ref runs[i]);
            Interlocked.Increment(ref _total);
        }
    }

    private sealed class NoopHandler(Executions executions) : JobHandler<Payload>
    {
        public override Task HandleAsync(Payload payload, JobContext job, CancellationToken ct)
        {
            executions.Record(payload.I);
            return Task.CompletedTask;
        }
    }
}
