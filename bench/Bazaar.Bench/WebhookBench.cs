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
            }) { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(10) };
            var admin = new HttpClient { BaseAddress = new Uri(baseUrl) };
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", o.ApiKey);

            var load = new Load(http, o);
            Console.WriteLine($"warm-up {o.Warmup} s at {o.Connections} connections ...");
            await load.RunAsync(TimeSpan.FromSeconds(o.Warmup));
            var before = await CountsAsync(admin);
            Console.WriteLine($"measuring {o.Duration} s ...");
            var result = await load.RunAsync(TimeSpan.FromSeconds(o.Duration));
            var atEnd = await CountsAsync(admin);

            var drain = Stopwatch.StartNew();
            var now = atEnd;
            while (now.Open > 0 && drain.Elapsed < TimeSpan.FromSeconds(o.DrainTimeout))
            {
                await Task.Delay(250);
                now = await CountsAsync(admin);
            }
            drain.Stop();

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
                ["drain_s"] = Math.Round(drain.Elapsed.TotalSeconds, 1),
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

    private sealed class Load(HttpClient http, Options o)
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

        private byte[] NextUpdate()
        {
            var id = Interlocked.Increment(ref _updateId);
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
        var port = FreePort();
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

    private static int FreePort()
    {
        var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(Directory.GetCurrentDirectory()); d is not null; d = d.Parent)
            if (Directory.Exists(Path.Combine(d.FullName, "src", "Bazaar.Server"))) return d.FullName;
        throw new InvalidOperationException("Run from inside the Bazaar repository.");
    }

    private sealed record Options(string Provider, string? Pg, int Connections, int Duration, int Warmup, int Users, string? Url,
        string ApiKey, string Secret, int DrainTimeout)
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
                Int("warmup", 5), Int("users", 5000), Get("url"), Get("api-key") ?? WebhookBench.ApiKey, Get("secret") ?? WebhookBench.Secret, Int("drain-timeout", 180));
        }
    }
}
