using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Bazaar.Bench;

/// <summary>
/// Load driver for the Telegram webhook: N connections post realistic updates (a distinct update_id per
/// request, users round-robin, half /start and half text) for D seconds after a warm-up, and report
/// updates/s, latency percentiles, and how far the processor got during the run and after it.
/// Starts the Release server itself (SQLite in a temporary file, or --pg) unless --url is given.
///
///   webhook [--provider sqlite|postgres] [--pg "Host=127.0.0.1;Port=55432;Username=postgres;Database=bench"]
///           [--connections 64] [--duration 20] [--warmup 5] [--users 5000] [--url http://127.0.0.1:8080 --api-key KEY --secret S]
///           [--rate 1000] [--db path/to/bazaar.db (with --url on SQLite)]
/// With --rate N the load is open-loop: N updates per second on a fixed schedule whatever the answers, and each
/// update's latency is taken from the moment it was sent to its "ProcessedAt" in the inbox (its reply is in the
/// outbox by then), read from the database after the run: what a customer waits for, not the webhook's 200.
/// </summary>
public static class WebhookBench
{
    private const string Secret = "bench-secret-0123456789";
    private const string ApiKey = "bench-api-key-0123456789";
    private static readonly string[] Langs = ["en", "de", "ru", "es", "fr", "pt-br", "uk", "it"];
    private static readonly string[] Names = ["Alice", "Bob", "Carla", "Dmitri", "Eve", "Farah", "Goran", "Hana", "Ivan", "Jun"];
    private static readonly string[] Texts =
    [
        "hello there", "what can you do?", "remind me tomorrow at 9", "thanks, that worked", "Привет! Как дела?", "ok 👍",
        "can you tell me the weather in Berlin", "lorem ipsum dolor sit amet, consectetur adipiscing elit",
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var o = Options.Parse(args);
        var root = FindRoot();
        Process? server = null;
        string baseUrl;
        string? sqlitePath = null;
        if (o.Url is { } url) baseUrl = url.TrimEnd('/');
        else
        {
            (server, baseUrl, sqlitePath) = await StartServerAsync(root, o);
        }
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler
            {
                MaxConnectionsPerServer = o.Connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
                AutomaticDecompression = DecompressionMethods.None, UseProxy = false,
            }) { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(o.Rate > 0 ? 120 : 10) };
            var admin = new HttpClient { BaseAddress = new Uri(baseUrl) };
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", o.ApiKey);

            var load = new Load(http, o);
            if (o.Rate > 0) return await OpenLoopAsync(load, admin, o, root, sqlitePath);
            Console.WriteLine($"warm-up {o.Warmup} s at {o.Connections} connections ...");
            await load.RunAsync(TimeSpan.FromSeconds(o.Warmup));
            var before = await CountsAsync(admin);
            Console.WriteLine($"measuring {o.Duration} s ...");
            var result = await load.RunAsync(TimeSpan.FromSeconds(o.Duration));
            var atEnd = await CountsAsync(admin);

            var (now, drainS) = await DrainAsync(admin, o);

            var report = new JsonObject
            {
                ["benchmark"] = "webhook",
                ["provider"] = o.Provider,
                ["at"] = DateTime.UtcNow.ToString("O"),
                ["connections"] = o.Connections,
                ["duration_s"] = o.Duration,
                ["warmup_s"] = o.Warmup,
                ["users"] = o.Users,
                ["requests"] = result.Ok + result.Non2xx + result.Errors,
                ["updates_accepted"] = result.Ok,
                ["updates_per_s"] = Math.Round(result.Ok / result.Seconds, 1),
                ["non2xx"] = result.Non2xx,
                ["errors"] = result.Errors,
                ["latency_ms"] = new JsonObject
                {
                    ["p50"] = result.Percentile(50), ["p95"] = result.Percentile(95), ["p99"] = result.Percentile(99), ["max"] = result.Percentile(100),
                },
                ["processed_during"] = atEnd.Done - before.Done,
                ["processed_per_s_during"] = Math.Round((atEnd.Done - before.Done) / result.Seconds, 1),
                ["backlog_at_end"] = atEnd.Open,
                ["processed_after"] = now.Done - atEnd.Done,
                ["drain_s"] = drainS,
                ["drained"] = now.Open == 0,
            };
            var json = report.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
            Console.WriteLine(json);
            var dir = Path.Combine(root, "bench", "results");
            Directory.CreateDirectory(dir);
            var file = Path.Combine(dir, $"webhook-{o.Provider}.json");
            await File.WriteAllTextAsync(file, json + "\n");
            Console.WriteLine($"written to {file}");
            return result.Non2xx + result.Errors == 0 ? 0 : 2;
        }
        finally
        {
            if (server is { HasExited: false })
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }
            if (sqlitePath is not null)
                foreach (var f in new[] { sqlitePath, sqlitePath + "-wal", sqlitePath + "-shm" }) File.Delete(f);
        }
    }

    /// <summary>The open-loop run: a fixed rate, then each update's sent → handled latency from the inbox.</summary>
    private static async Task<int> OpenLoopAsync(Load load, HttpClient admin, Options o, string root, string? sqlitePath)
    {
        if (sqlitePath is null && o.Pg is null)
            throw new InvalidOperationException("--rate with --url needs --db <sqlite file> or --pg <connection string> to read the inbox");
        Console.WriteLine($"warm-up {o.Warmup} s at {o.Rate}/s (open loop) ...");
        await load.RunOpenAsync(o.Rate, TimeSpan.FromSeconds(o.Warmup));
        await DrainAsync(admin, o);
        Console.WriteLine($"measuring {o.Duration} s at {o.Rate}/s (open loop) ...");
        var run = await load.RunOpenAsync(o.Rate, TimeSpan.FromSeconds(o.Duration));
        var (drainedCounts, drainS) = await DrainAsync(admin, o);
        var drained = drainedCounts.Open == 0;
        var processed = await ProcessedAtAsync(o, sqlitePath, run.FirstId, run.LastId);
        var lat = new List<double>(run.Sent.Length);
        foreach (var (id, sentAt) in run.Sent)
            if (processed.TryGetValue(id, out var at)) lat.Add((at - sentAt).TotalMilliseconds);
        lat.Sort();
        double P(double p) => lat.Count == 0 ? 0 : Math.Round(lat[(int)Math.Clamp(Math.Ceiling(p / 100 * lat.Count) - 1, 0, lat.Count - 1)], 1);
        var report = new JsonObject
        {
            ["benchmark"] = "webhook-open-loop",
            ["provider"] = o.Provider,
            ["at"] = DateTime.UtcNow.ToString("O"),
            ["rate_per_s"] = o.Rate,
            ["duration_s"] = o.Duration,
            ["warmup_s"] = o.Warmup,
            ["users"] = o.Users,
            ["sent"] = run.Sent.Length,
            ["acked"] = run.Ok,
            ["non2xx"] = run.Non2xx,
            ["errors"] = run.Errors,
            ["schedule_lag_max_ms"] = Math.Round(run.MaxLagMs, 1),
            ["handled"] = lat.Count,
            ["sent_to_handled_ms"] = new JsonObject { ["p50"] = P(50), ["p90"] = P(90), ["p99"] = P(99), ["max"] = P(100) },
            ["ack_ms"] = new JsonObject { ["p50"] = run.Ack(50), ["p99"] = run.Ack(99), ["max"] = run.Ack(100) },
            ["drained"] = drained,
            ["drain_s"] = drainS,
        };
        var json = report.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        Console.WriteLine(json);
        var dir = Path.Combine(root, "bench", "results");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, $"webhook-rate-{o.Provider}.json");
        await File.WriteAllTextAsync(file, json + "\n");
        Console.WriteLine($"written to {file}");
        return run.Non2xx + run.Errors == 0 && lat.Count == run.Sent.Length ? 0 : 2;
    }

    /// <summary>Waits until the inbox is worked off (or the drain timeout); the counts then and the seconds it took.</summary>
    private static async Task<(Counts Now, double Seconds)> DrainAsync(HttpClient admin, Options o)
    {
        var drain = Stopwatch.StartNew();
        var now = await CountsAsync(admin);
        while (now.Open > 0 && drain.Elapsed < TimeSpan.FromSeconds(o.DrainTimeout))
        {
            await Task.Delay(100);
            now = await CountsAsync(admin);
        }
        return (now, Math.Round(drain.Elapsed.TotalSeconds, 1));
    }

    /// <summary>When each update of the run was handled, by update_id, read from the inbox itself.</summary>
    private static async Task<Dictionary<long, DateTime>> ProcessedAtAsync(Options o, string? sqlitePath, long first, long last)
    {
        System.Data.Common.DbConnection conn = o.Pg is { } pg && o.Provider == "postgres"
            ? new Npgsql.NpgsqlConnection(pg)
            : new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={o.Db ?? sqlitePath};Mode=ReadOnly");
        await using var _ = conn;
        await conn.OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = """
            SELECT "UpdateId", "ProcessedAt" FROM inbound_updates
            WHERE "Channel" = 'telegram' AND "UpdateId" BETWEEN @a AND @b AND "ProcessedAt" IS NOT NULL
            """;
        foreach (var (n, v) in new[] { ("@a", first), ("@b", last) })
        {
            var p = cmd.CreateParameter();
            p.ParameterName = n;
            p.Value = v;
            cmd.Parameters.Add(p);
        }
        var result = new Dictionary<long, DateTime>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) result[r.GetInt64(0)] = DateTime.SpecifyKind(r.GetDateTime(1), DateTimeKind.Utc);
        return result;
    }

    private sealed record Counts(long Done, long Open);

    /// <summary>Done = processed, ignored, failed or rate limited; open = still received or being processed.</summary>
    private static async Task<Counts> CountsAsync(HttpClient admin)
    {
        async Task<long> Total(string query)
        {
            using var doc = JsonDocument.Parse(await admin.GetStringAsync("/api/v1/admin/updates?pageSize=1" + query));
            return doc.RootElement.GetProperty("total").GetInt64();
        }
        var all = await Total("");
        var open = await Total("&status=Received") + await Total("&status=Processing");
        return new Counts(all - open, open);
    }

    /// <summary>The closed- and open-loop load drivers (also driven by the scale-out benchmark through nginx).</summary>
    internal sealed class Load(HttpClient http, Options o)
    {
        private long _updateId = DateTimeOffset.UtcNow.ToUnixTimeSeconds() % 1_000_000 * 1000;
        private long _user = -1;

        public sealed record Result(long Ok, long Non2xx, long Errors, double Seconds, long[] LatencyTicks)
        {
            public double Percentile(double p)
            {
                if (LatencyTicks.Length == 0) return 0;
                var i = (int)Math.Clamp(Math.Ceiling(p / 100 * LatencyTicks.Length) - 1, 0, LatencyTicks.Length - 1);
                return Math.Round(LatencyTicks[i] * 1000.0 / Stopwatch.Frequency, 2);
            }
        }

        public async Task<Result> RunAsync(TimeSpan duration)
        {
            long ok = 0, non2xx = 0, errors = 0;
            var latencies = new List<long>[o.Connections];
            var clock = Stopwatch.StartNew();
            var end = clock.Elapsed + duration;
            await Task.WhenAll(Enumerable.Range(0, o.Connections).Select(w => Task.Run(async () =>
            {
                var mine = latencies[w] = new List<long>(1 << 16);
                while (clock.Elapsed < end)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/telegram/webhook")
                    {
                        Content = new ByteArrayContent(NextUpdate()),
                    };
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                    request.Headers.Add("X-Telegram-Bot-Api-Secret-Token", o.Secret);
                    var started = Stopwatch.GetTimestamp();
                    try
                    {
                        using var response = await http.SendAsync(request);
                        mine.Add(Stopwatch.GetTimestamp() - started);
                        if (response.IsSuccessStatusCode) Interlocked.Increment(ref ok);
                        else Interlocked.Increment(ref non2xx);
                    }
                    catch (Exception)
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
            })));
            var all = latencies.SelectMany(l => l).ToArray();
            Array.Sort(all);
            return new Result(ok, non2xx, errors, clock.Elapsed.TotalSeconds, all);
        }

        public sealed record OpenResult((long Id, DateTime SentAt)[] Sent, long Ok, long Non2xx, long Errors, double MaxLagMs, long[] AckTicks)
        {
            public long FirstId => Sent.Length == 0 ? 0 : Sent.Min(s => s.Id);
            public long LastId => Sent.Length == 0 ? 0 : Sent.Max(s => s.Id);

            public double Ack(double p) => new Result(0, 0, 0, 0, AckTicks).Percentile(p);
        }

        /// <summary>
        /// Sends <paramref name="rate"/> updates per second on a fixed schedule without waiting for answers; each
        /// update's time is its scheduled send time, so a slow server cannot hide latency by slowing the sender.
        /// </summary>
        public async Task<OpenResult> RunOpenAsync(int rate, TimeSpan duration)
        {
            var total = (int)(rate * duration.TotalSeconds);
            var sent = new (long, DateTime)[total];
            var acks = new long[total];
            long ok = 0, non2xx = 0, errors = 0;
            double maxLag = 0;
            var tasks = new List<Task>(total);
            var startUtc = DateTime.UtcNow;
            var clock = Stopwatch.StartNew();
            var issued = 0;
            while (issued < total)
            {
                var due = Math.Min(total, (int)(clock.Elapsed.TotalSeconds * rate) + 1);
                if (due > issued) maxLag = Math.Max(maxLag, clock.Elapsed.TotalMilliseconds - issued * 1000.0 / rate);
                for (; issued < due; issued++)
                {
                    var i = issued;
                    var body = NextUpdate(out var id);
                    var scheduled = startUtc + TimeSpan.FromSeconds((double)i / rate);
                    sent[i] = (id, scheduled);
                    tasks.Add(Task.Run(async () =>
                    {
                        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/telegram/webhook") { Content = new ByteArrayContent(body) };
                        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                        request.Headers.Add("X-Telegram-Bot-Api-Secret-Token", o.Secret);
                        var started = Stopwatch.GetTimestamp();
                        try
                        {
                            using var response = await http.SendAsync(request);
                            acks[i] = Stopwatch.GetTimestamp() - started;
                            if (response.IsSuccessStatusCode) Interlocked.Increment(ref ok);
                            else Interlocked.Increment(ref non2xx);
                        }
                        catch (Exception)
                        {
                            Interlocked.Increment(ref errors);
                        }
                    }));
                }
                await Task.Delay(1);
            }
            await Task.WhenAll(tasks);
            Array.Sort(acks);
            return new OpenResult(sent, ok, non2xx, errors, maxLag, acks);
        }

        private byte[] NextUpdate() => NextUpdate(out _);

        public byte[] NextUpdate(out long id)
        {
            id = Interlocked.Increment(ref _updateId);
            var seq = Interlocked.Increment(ref _user);
            var idx = (int)(seq % o.Users);
            var command = (idx + seq / o.Users) % 2 == 0;
            var uid = 100_000_000 + idx;
            var name = Names[idx % Names.Length];
            var text = command ? "/start" : Texts[(int)(seq >> 1) % Texts.Length];
            var entities = command ? ",\"entities\":[{\"offset\":0,\"length\":6,\"type\":\"bot_command\"}]" : "";
            var date = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            return Encoding.UTF8.GetBytes(
                $"{{\"update_id\":{id},\"message\":{{\"message_id\":{seq + 1},\"from\":{{\"id\":{uid},\"is_bot\":false,\"first_name\":\"{name}\"," +
                $"\"username\":\"user{uid}\",\"language_code\":\"{Langs[idx % Langs.Length]}\"}},\"chat\":{{\"id\":{uid},\"first_name\":\"{name}\"," +
                $"\"username\":\"user{uid}\",\"type\":\"private\"}},\"date\":{date},\"text\":{JsonSerializer.Serialize(text)}{entities}}}}}");
        }
    }

    private static async Task<(Process, string, string?)> StartServerAsync(string root, Options o)
    {
        var dll = Path.Combine(root, "src", "Bazaar.Server", "bin", "Release", "net10.0", "Bazaar.Server.dll");
        if (!File.Exists(dll))
            throw new InvalidOperationException($"Build the server first: dotnet build -c Release src/Bazaar.Server ({dll} is missing)");
        var port = BenchHost.FreePort();
        string? sqlitePath = null;
        var psi = new ProcessStartInfo("dotnet", [dll, "--urls", $"http://127.0.0.1:{port}"])
        {
            WorkingDirectory = Path.Combine(root, "src", "Bazaar.Server"), RedirectStandardOutput = true, RedirectStandardError = true,
        };
        var env = psi.Environment;
        env["ASPNETCORE_ENVIRONMENT"] = "Production";
        if (o.Provider == "postgres")
        {
            env["Database__Provider"] = "Postgres";
            env["ConnectionStrings__Bazaar"] = o.Pg ?? throw new InvalidOperationException("--provider postgres needs --pg <connection string to an empty database>");
        }
        else
        {
            sqlitePath = Path.Combine(Path.GetTempPath(), $"bazaar-bench-{Guid.NewGuid():N}.db");
            env["Database__Provider"] = "Sqlite";
            env["ConnectionStrings__Bazaar"] = $"Data Source={sqlitePath}";
        }
        env["Telegram__Mode"] = "Webhook";
        env["Telegram__BotToken"] = "123456:BENCH-token";
        env["Telegram__WebhookSecret"] = Secret;
        env["Telegram__ApiBaseUrl"] = "http://127.0.0.1:9"; // nothing listens: start-up calls fail fast and are logged
        env["Sandbox__Enabled"] = "false";
        env["Seed__Demo"] = "false";
        env["Admin__ApiKey"] = ApiKey;
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("[server] " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var baseUrl = $"http://127.0.0.1:{port}";
        using var probe = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException("The server exited during start-up.");
            try
            {
                if ((await probe.GetAsync("/health/ready")).IsSuccessStatusCode) break;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The server did not become ready in 90 s.");
            await Task.Delay(200);
        }
        return (process, baseUrl, sqlitePath);
    }


    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(Directory.GetCurrentDirectory()); d is not null; d = d.Parent)
            if (Directory.Exists(Path.Combine(d.FullName, "src", "Bazaar.Server"))) return d.FullName;
        throw new InvalidOperationException("Run from inside the Bazaar repository.");
    }

    internal sealed record Options(string Provider, string? Pg, int Connections, int Duration, int Warmup, int Users, string? Url,
        string ApiKey, string Secret, int DrainTimeout, int Rate, string? Db)
    {
        public static Options Parse(string[] args)
        {
            string? Get(string name)
            {
                var i = Array.IndexOf(args, "--" + name);
                return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
            }
            int Int(string name, int d) => Get(name) is { } v ? int.Parse(v) : d;
            return new Options((Get("provider") ?? "sqlite").ToLowerInvariant(), Get("pg"), Int("connections", 64), Int("duration", 20),
                Int("warmup", 5), Int("users", 5000), Get("url"), Get("api-key") ?? WebhookBench.ApiKey, Get("secret") ?? WebhookBench.Secret, Int("drain-timeout", 180), Int("rate", 0), Get("db"));
        }
    }
}
