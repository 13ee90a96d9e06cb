using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bazaar.Server.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Bazaar.Bench;

/// <summary>
/// A broadcast to N users (10,000 and 100,000 by default), through the real server: POST /api/v1/admin/broadcasts, the
/// broadcast's tick jobs handing recipients to the outbox, and the outbox sender calling a fake Bot API over loopback
/// HTTP, with the rate limits lifted so that the sender itself is what is measured. Each size runs in a fresh server
/// process on a fresh database, so its peak RSS (VmHWM) is that run's alone.
///
/// A warm-up broadcast to 3,000 other users runs first in the same process and is not counted.
///
///   broadcast [--provider sqlite|postgres] [--pg "Host=127.0.0.1;Port=5433;Username=postgres;Database=postgres"]
///             [--counts 10000,100000] [--batch 500] [--parallelism 32] [--timeout 900]
/// </summary>
public static class BroadcastBench
{
    private const string ApiKey = "bench-api-key-0123456789";
    private const string Text = "❄️ <b>Winter sale</b>: 20% off every digital key until Sunday.";

    public static async Task<int> RunAsync(string[] args)
    {
        string Arg(string key, string fallback)
        {
            var i = Array.IndexOf(args, key);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        var provider = Arg("--provider", "sqlite").ToLowerInvariant();
        var pg = Arg("--pg", Environment.GetEnvironmentVariable("BAZAAR_BENCH_PG") ?? Environment.GetEnvironmentVariable("BAZAAR_TEST_PG") ?? "");
        if (provider == "postgres" && pg.Length == 0) { Console.Error.WriteLine("PostgreSQL needs --pg <server connection string>."); return 2; }
        var counts = Arg("--counts", "10000,100000").Split(',').Select(int.Parse).ToArray();
        var batch = int.Parse(Arg("--batch", "500"));
        var parallelism = int.Parse(Arg("--parallelism", "32"));
        var timeout = TimeSpan.FromSeconds(int.Parse(Arg("--timeout", "900")));

        var runs = new JsonArray();
        var ok = true;
        foreach (var n in counts)
        {
            Console.WriteLine($"[{provider}] broadcast to {n:N0} recipients ...");
            var run = await RunOneAsync(provider, pg, n, batch, parallelism, timeout);
            Console.WriteLine(run.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            ok &= run["exactly_once"]!.GetValue<bool>();
            runs.Add(run);
        }
        var report = new JsonObject
        {
            ["benchmark"] = "broadcast",
            ["provider"] = provider,
            ["at"] = DateTime.UtcNow.ToString("O"),
            ["goal_messages_per_s"] = 5000,
            ["outbox"] = new JsonObject { ["batch_size"] = batch, ["parallelism"] = parallelism, ["rate_limits"] = "lifted (1,000,000/s)" },
            ["machine"] = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}; shared with other developers' builds and tests (load average {LoadAverage()}), run under nice -n 10",
            ["runs"] = runs,
        };
        var json = report.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        var dir = Path.Combine(BenchHost.RepoRoot(), "bench", "results");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, $"broadcast-{provider}.json");
        await File.WriteAllTextAsync(file, json + "\n");
        Console.WriteLine($"written to {file}");
        return ok ? 0 : 1;
    }

    private static async Task<JsonObject> RunOneAsync(string provider, string pgServer, int n, int batch, int parallelism, TimeSpan timeout)
    {
        string cs, pgName = "";
        string? sqlitePath = null;
        if (provider == "postgres")
        {
            pgName = $"bazaar_bench_{Guid.NewGuid():N}";
            await ExecPg(pgServer, $"CREATE DATABASE \"{pgName}\"");
            cs = new NpgsqlConnectionStringBuilder(pgServer) { Database = pgName }.ToString();
        }
        else
        {
            sqlitePath = Path.Combine(Path.GetTempPath(), $"bazaar-bench-{Guid.NewGuid():N}.db");
            cs = $"Data Source={sqlitePath}";
        }
        await using var fake = await FakeBotApi.StartAsync();
        Process? server = null;
        try
        {
            await SeedAsync(provider, cs, n, Warmup);
            (server, var baseUrl) = await StartServerAsync(provider, cs, fake.BaseUrl, batch, parallelism);
            using var admin = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(60) };
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
            var rssReady = Rss(server.Id).Current;
            // A warm-up broadcast to other users first (not counted): a server that has been running has compiled its
            // code; the first seconds of a fresh process are mostly the JIT.
            var warm = await admin.PostAsJsonAsync("/api/v1/admin/broadcasts", new { text = Text, segment = "language", language = "de" });
            if ((int)warm.StatusCode != 201) throw new InvalidOperationException($"POST /broadcasts (warm-up): {(int)warm.StatusCode} {await warm.Content.ReadAsStringAsync()}");
            var warmId = (await warm.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
            while ((await admin.GetFromJsonAsync<JsonElement>($"/api/v1/admin/broadcasts/{warmId}")).GetProperty("status").GetString() is not ("Completed" or "Cancelled"))
                await Task.Delay(250);
            fake.Reset();
            var cpuBefore = CpuSeconds(server.Id);

            var started = Stopwatch.StartNew();
            var r = await admin.PostAsJsonAsync("/api/v1/admin/broadcasts", new { text = Text, segment = "language", language = "en" });
            if ((int)r.StatusCode != 201) throw new InvalidOperationException($"POST /broadcasts: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
            var id = (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();

            long peakSampled = 0;
            JsonElement view;
            while (true)
            {
                await Task.Delay(250);
                peakSampled = Math.Max(peakSampled, Rss(server.Id).Current);
                view = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/admin/broadcasts/{id}");
                if (view.GetProperty("status").GetString() is "Completed" or "Cancelled") break;
                if (started.Elapsed > timeout) throw new TimeoutException($"Not completed after {timeout}: {view}");
            }
            var total = started.Elapsed.TotalSeconds;
            var (_, hwm) = Rss(server.Id);
            var cpu = CpuSeconds(server.Id) - cpuBefore;
            var sendSeconds = (fake.LastAt - fake.FirstAt).TotalSeconds;
            var sent = view.GetProperty("sent").GetInt32();
            return new JsonObject
            {
                ["recipients"] = n,
                ["fake_bot_api_calls"] = fake.Sends,
                ["distinct_chats"] = fake.DistinctChats,
                ["sent"] = sent,
                ["failed"] = view.GetProperty("failed").GetInt32(),
                ["exactly_once"] = fake.Sends == n && fake.DistinctChats == n && sent == n,
                ["send_seconds"] = Math.Round(sendSeconds, 2),
                ["messages_per_s"] = Math.Round(n / Math.Max(0.001, sendSeconds), 1),
                ["start_to_completed_s"] = Math.Round(total, 2),
                ["messages_per_s_end_to_end"] = Math.Round(n / total, 1),
                // CPU time the server spent from the POST to Completed, per recipient: what a message costs Bazaar whatever
                // else the machine is doing (wall-clock rates move with the load of other work on a shared machine).
                ["server_cpu_s"] = Math.Round(cpu, 2),
                ["server_cpu_us_per_message"] = Math.Round(cpu * 1e6 / n, 0),
                ["rss_ready_mb"] = Mb(rssReady),
                ["rss_peak_mb"] = Mb(Math.Max(hwm, peakSampled)),
            };
        }
        finally
        {
            if (server is { HasExited: false })
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }
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

    /// <summary>The schema and N Telegram users, written directly (the seeding is not what is measured).</summary>
    private const int Warmup = 3000;

    private static async Task SeedAsync(string provider, string cs, int n, int warmup)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = provider == "postgres" ? "Postgres" : "Sqlite",
            ["ConnectionStrings:Bazaar"] = cs,
        }).Build();
        await using var sp = new ServiceCollection().AddLogging(l => l.SetMinimumLevel(LogLevel.Warning)).AddSingleton(TimeProvider.System)
            .AddData(config).BuildServiceProvider();
        await using var scope = sp.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        await db.Database.MigrateAsync();
        var now = DateTime.UtcNow;
        for (var from = 0; from < n; from += 5000)
        {
            db.Users.AddRange(Enumerable.Range(from, Math.Min(5000, n - from)).Select(i => new ChatUser
            {
                Channel = ChatChannel.Telegram, ExternalId = (1_000_000_000L + i).ToString(System.Globalization.CultureInfo.InvariantCulture),
                FirstName = "U" + i, LanguageCode = "en", CreatedAt = now, LastSeenAt = now,
            }));
            await db.SaveChangesAsync();
            db.ChangeTracker.Clear();
        }
        db.Users.AddRange(Enumerable.Range(0, warmup).Select(i => new ChatUser
        {
            Channel = ChatChannel.Telegram, ExternalId = (2_000_000_000L + i).ToString(System.Globalization.CultureInfo.InvariantCulture),
            FirstName = "W" + i, LanguageCode = "de", CreatedAt = now, LastSeenAt = now,
        }));
        await db.SaveChangesAsync();
        if (provider == "sqlite") Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    private static async Task<(Process, string)> StartServerAsync(string provider, string cs, string botApi, int batch, int parallelism)
    {
        var root = BenchHost.RepoRoot();
        var dll = Path.Combine(root, "src", "Bazaar.Server", "bin", "Release", "net10.0", "Bazaar.Server.dll");
        if (!File.Exists(dll)) throw new InvalidOperationException($"Build the server first: dotnet build -c Release src/Bazaar.Server ({dll} is missing)");
        var port = BenchHost.FreePort();
        var psi = new ProcessStartInfo("dotnet", [dll, "--urls", $"http://127.0.0.1:{port}"])
        {
            WorkingDirectory = Path.Combine(root, "src", "Bazaar.Server"), RedirectStandardOutput = true, RedirectStandardError = true,
        };
        var env = psi.Environment;
        env["ASPNETCORE_ENVIRONMENT"] = "Production";
        env["Database__Provider"] = provider == "postgres" ? "Postgres" : "Sqlite";
        env["ConnectionStrings__Bazaar"] = cs;
        env["Telegram__Mode"] = "Webhook";
        env["Telegram__BotToken"] = "123456:BENCH-token";
        env["Telegram__WebhookSecret"] = "bench-secret-0123456789";
        env["Telegram__ApiBaseUrl"] = botApi;
        env["Sandbox__Enabled"] = "false";
        env["Seed__Demo"] = "false";
        env["Admin__ApiKey"] = ApiKey;
        env["Logging__LogLevel__Default"] = "Warning";
        // The limits lifted: what is left is the sender's own speed.
        env["Outbox__GlobalPerSecond"] = "1000000";
        env["Outbox__BroadcastPerSecond"] = "1000000";
        env["Outbox__BatchSize"] = batch.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["Outbox__Parallelism"] = parallelism.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var process = Process.Start(psi)!;
        // Warnings and errors only (the server logs at Warning): a failed run says why.
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("[server] " + e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("[server] " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var baseUrl = $"http://127.0.0.1:{port}";
        using var probe = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException("The server exited during start-up.");
            try
            {
                if ((await probe.GetAsync("/health/ready")).IsSuccessStatusCode) break;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The server did not become ready in 120 s.");
            await Task.Delay(200);
        }
        return (process, baseUrl);
    }

    /// <summary>Current and peak resident set of a process, from /proc (bytes).</summary>
    private static (long Current, long Peak) Rss(int pid)
    {
        long Field(string[] lines, string name) =>
            lines.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal)) is { } l ? long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024 : 0;
        try
        {
            var lines = File.ReadAllLines($"/proc/{pid}/status");
            return (Field(lines, "VmRSS:"), Field(lines, "VmHWM:"));
        }
        catch (IOException) { return (0, 0); }
    }

    private static double Mb(long bytes) => Math.Round(bytes / 1024.0 / 1024.0, 1);

    /// <summary>User plus system CPU seconds of a process so far (/proc/pid/stat, clock ticks of 1/100 s).</summary>
    private static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0;
    }

    private static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "?"; }
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
