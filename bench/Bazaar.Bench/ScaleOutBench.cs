using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Bazaar.Bench;

/// <summary>
/// One, two and three Bazaar instances (the Release Bazaar.Server.dll under `dotnet`) on one PostgreSQL database, behind
/// Debian's nginx on loopback, as in ThreeInstancesTests. For each instance count, two phases on fresh databases:
///
/// 1. Webhook load through nginx, measured as the peer runner (/work/shared/peers) measures it: the webhook load driver
///    at 64 connections for a warm-up and then the measured seconds; acked/s is webhook 200s per second of the measured
///    run; then the inbox is worked off and handled/s is the updates handled (reply in the outbox) divided by the time
///    from the first received to the last handled, warm-up included, with received → handled p50/p99 (drain_stats.py).
///    The instances run with Outbox:GlobalPerSecond = --limit (Telegram's 30/s by default), and the replies the load
///    produces go to a fake Bot API: the cluster-wide send rate held under that load is read from the fake's timestamps.
/// 2. A broadcast to --recipients users through nginx with the limit lifted to --lifted-limit (global and broadcast):
///    the achieved send rate and the most messages in any 1-s window, from the fake's timestamps, and exactly once.
///
///   scale-out [--instances 1,2,3] [--pg "Host=127.0.0.1;Port=5433;Username=postgres;Database=postgres"] [--db-prefix scale]
///             [--connections 64] [--duration 20] [--warmup 5] [--users 5000] [--drain-timeout 600]
///             [--limit 30] [--lifted-limit 1000] [--recipients 10000] [--nginx /usr/sbin/nginx] [--out scale-out]
/// </summary>
public static class ScaleOutBench
{
    private const string ApiKey = "bench-api-key-0123456789";
    private const string Secret = "bench-secret-0123456789";
    private const string BroadcastText = "Scale-out: the winter sale starts now.";

    private sealed record Settings(int[] Instances, string PgServer, string DbPrefix, int Connections, int Duration, int Warmup, int Users,
        int DrainTimeout, int Limit, int LiftedLimit, int Recipients, string Nginx, string Out);

    public static async Task<int> RunAsync(string[] args)
    {
        string Arg(string key, string fallback)
        {
            var i = Array.IndexOf(args, key);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        int Int(string key, int fallback) => int.Parse(Arg(key, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        var s = new Settings(
            Arg("--instances", "1,2,3").Split(',').Select(int.Parse).ToArray(),
            Arg("--pg", Environment.GetEnvironmentVariable("BAZAAR_BENCH_PG") ?? Environment.GetEnvironmentVariable("BAZAAR_TEST_PG")
                        ?? "Host=127.0.0.1;Port=5433;Username=postgres;Database=postgres"),
            Arg("--db-prefix", "scale"), Int("--connections", 64), Int("--duration", 20), Int("--warmup", 5), Int("--users", 5000),
            Int("--drain-timeout", 600), Int("--limit", 30), Int("--lifted-limit", 1000), Int("--recipients", 10000),
            Arg("--nginx", "/usr/sbin/nginx"), Arg("--out", "scale-out"));
        if (!File.Exists(s.Nginx)) { Console.Error.WriteLine($"{s.Nginx} is missing: install Debian's nginx (apt-get install nginx-light)."); return 2; }
        var dll = Path.Combine(BenchHost.RepoRoot(), "src", "Bazaar.Server", "bin", "Release", "net10.0", "Bazaar.Server.dll");
        if (!File.Exists(dll)) { Console.Error.WriteLine($"Build the server first: dotnet build -c Release src/Bazaar.Server ({dll} is missing)"); return 2; }

        var runs = new JsonArray();
        var ok = true;
        foreach (var n in s.Instances)
        {
            var load = LoadAverage();
            Console.WriteLine($"== {n} instance(s): webhook load through nginx (load average {load}) ...");
            var webhook = await WebhookPhaseAsync(s, dll, n);
            Console.WriteLine(webhook.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            Console.WriteLine($"== {n} instance(s): broadcast to {s.Recipients:N0} at {s.LiftedLimit}/s ...");
            var broadcast = await BroadcastPhaseAsync(s, dll, n);
            Console.WriteLine(broadcast.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            ok &= webhook["errors"]!.GetValue<long>() == 0 && webhook["left_open"]!.GetValue<long>() == 0 && broadcast["exactly_once"]!.GetValue<bool>();
            runs.Add(new JsonObject
            {
                ["instances"] = n, ["load_average_before"] = load, ["load_average_after"] = LoadAverage(), ["webhook"] = webhook, ["broadcast"] = broadcast,
            });
        }

        var table = Table(s, runs);
        var report = new JsonObject
        {
            ["benchmark"] = "scale-out",
            ["at"] = DateTime.UtcNow.ToString("O"),
            ["machine"] = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}; PostgreSQL, nginx, " +
                          "the instances, the load driver and the fake Bot API all on these cores, shared with other developers' builds and tests",
            ["settings"] = new JsonObject
            {
                ["connections"] = s.Connections, ["duration_s"] = s.Duration, ["warmup_s"] = s.Warmup, ["users"] = s.Users,
                ["global_per_second_under_load"] = s.Limit, ["lifted_limit_per_second"] = s.LiftedLimit, ["broadcast_recipients"] = s.Recipients,
                ["nginx"] = "worker_processes auto, upstream keepalive 64, round robin",
            },
            ["runs"] = runs,
            ["table"] = table,
        };
        Console.WriteLine();
        Console.WriteLine(table);
        var dir = Path.Combine(BenchHost.RepoRoot(), "bench", "results");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, s.Out + ".json");
        await File.WriteAllTextAsync(file, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
        Console.WriteLine($"written to {file}");
        return ok ? 0 : 1;
    }

    private static string Table(Settings s, JsonArray runs)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"instances",9} {"acked/s",8} {"handled/s",9} {"p50 ms",8} {"p99 ms",8} {"µs CPU/upd",10} | " +
                                                    $"{"sent/s @" + s.Limit,10} {"max 1 s",7} {"excess",6} {"by SentAt",9} | {"sent/s @" + s.LiftedLimit,10} {"max 1 s",7} {"excess",6} {"by SentAt",9} {"once",5} | CPU busy / others' niced during the load; load average");
        foreach (var r in runs)
        {
            var w = r!["webhook"]!;
            var b = r["broadcast"]!;
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{r["instances"],9} {w["acked_per_s"],8} {w["handled_per_s"],9} {w["received_to_handled_ms"]!["p50"],8} {w["received_to_handled_ms"]!["p99"],8} {w["servers_cpu_us_per_update"],10} | " +
                $"{w["sends_under_load"]!["per_s"],10} {w["sends_under_load"]!["max_in_1s"],7} {w["sends_under_load"]!["excess_over_bucket"],6} " +
                $"{w["sends_under_load_by_sent_at"]!["max_in_1s"] + "/" + w["sends_under_load_by_sent_at"]!["excess_over_bucket"],9} | " +
                $"{b["per_s"],10} {b["max_in_1s"],7} {b["excess_over_bucket"],6} " +
                $"{b["by_sent_at"]!["max_in_1s"] + "/" + b["by_sent_at"]!["excess_over_bucket"],9} {b["exactly_once"],5} | " +
                $"{w["cpu_busy_pct"]}% / {w["cpu_niced_others_pct"]}%; {w["load_average_end_of_load"]}");
        }
        return sb.ToString();
    }

    private static async Task<JsonObject> WebhookPhaseAsync(Settings s, string dll, int n)
    {
        var dbName = $"{s.DbPrefix}{n}";
        var cs = await CreateDatabaseAsync(s.PgServer, dbName);
        try
        {
            await MigrateAndSeedAsync(cs, 0);
            await using var fake = await FakeBotApi.StartAsync();
            await using var cluster = await Cluster.StartAsync(s, dll, cs, fake.BaseUrl, n, s.Limit);
            using var http = new HttpClient(new SocketsHttpHandler
            {
                MaxConnectionsPerServer = s.Connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
                AutomaticDecompression = DecompressionMethods.None, UseProxy = false,
            }) { BaseAddress = new Uri(cluster.FrontUrl), Timeout = TimeSpan.FromSeconds(10) };
            var options = new WebhookBench.Options("postgres", cs, s.Connections, s.Duration, s.Warmup, s.Users, cluster.FrontUrl, ApiKey, Secret,
                s.DrainTimeout, 0, null);
            var load = new WebhookBench.Load(http, options);
            var from = DateTime.UtcNow.Ticks;
            var serversCpuBefore = cluster.ServersCpuSeconds();
            fake.Reset();
            Console.WriteLine($"warm-up {s.Warmup} s at {s.Connections} connections ...");
            await load.RunAsync(TimeSpan.FromSeconds(s.Warmup));
            Console.WriteLine($"measuring {s.Duration} s ...");
            var cpuBefore = Cpu.Read();
            var result = await load.RunAsync(TimeSpan.FromSeconds(s.Duration));
            var cpu = Cpu.Read().Since(cpuBefore);
            var loadAverage = LoadAverage(); // the 1-minute figure now is mostly the measured seconds
            Console.WriteLine($"acked {result.Ok / result.Seconds:0}/s; waiting for the inbox to be worked off (at most {s.DrainTimeout} s) ...");
            var drain = Stopwatch.StartNew();
            long open;
            while ((open = await ScalarAsync(cs, """SELECT count(*) FROM inbound_updates WHERE "Status" IN ('received','processing')""")) > 0
                   && drain.Elapsed < TimeSpan.FromSeconds(s.DrainTimeout))
                await Task.Delay(1000);
            var to = DateTime.UtcNow.Ticks;
            var serversCpu = cluster.ServersCpuSeconds() - serversCpuBefore;
            var sends = fake.SentAtTicks().Where(t => t >= from && t <= to).ToArray();
            var stats = await DrainStatsAsync(cs);
            var outbox = await ScalarAsync(cs, "SELECT count(*) FROM outbox");
            return new JsonObject
            {
                ["instances"] = n,
                ["load_average_end_of_load"] = loadAverage,
                // Of both cores during the measured seconds: all busy time, and the part run at a nice level (the other
                // developers' builds and tests run under nice -n 10; this benchmark, its servers and PostgreSQL do not).
                ["cpu_busy_pct"] = cpu.BusyPct,
                ["cpu_niced_others_pct"] = cpu.NicedPct,
                ["requests"] = result.Ok + result.Non2xx + result.Errors,
                ["acked_per_s"] = Math.Round(result.Ok / result.Seconds, 0),
                ["ack_ms"] = new JsonObject { ["p50"] = result.Percentile(50), ["p99"] = result.Percentile(99) },
                ["non2xx"] = result.Non2xx,
                ["errors"] = result.Errors,
                ["accepted"] = stats.Accepted,
                ["handled"] = stats.Handled,
                ["left_open"] = open,
                ["drain_wait_s"] = Math.Round(drain.Elapsed.TotalSeconds, 1),
                ["span_s"] = Math.Round(stats.SpanS, 1),
                ["handled_per_s"] = Math.Round(stats.Handled / Math.Max(stats.SpanS, 1e-9), 0),
                ["received_to_handled_ms"] = new JsonObject { ["p50"] = stats.P50, ["p99"] = stats.P99, ["max"] = stats.Max },
                // The instances' CPU time (user + system) from the warm-up to the drained inbox, per update handled: what
                // coordination adds per update, whatever else the machine is doing (PostgreSQL's own CPU not included).
                ["servers_cpu_s"] = Math.Round(serversCpu, 1),
                ["servers_cpu_us_per_update"] = stats.Handled == 0 ? 0 : Math.Round(serversCpu * 1e6 / stats.Handled, 0),
                ["replies_queued"] = outbox,
                // The replies the load produced, sent by the instances together while the load ran and the inbox was worked
                // off (the queue is far longer than the window: the sender is limited by the global rate, not by work).
                ["sends_under_load"] = SendRate(sends, s.Limit),
                // The same sends by the instances' own clock ("SentAt", taken as each send returns): a stall of this
                // process (the fake runs in it, beside the load driver) stamps a queue of calls at once, this does not.
                ["sends_under_load_by_sent_at"] = SendRate(await SentAtTicksAsync(cs, from, to), s.Limit),
            };
        }
        finally { await DropDatabaseAsync(s.PgServer, dbName); }
    }

    private static async Task<JsonObject> BroadcastPhaseAsync(Settings s, string dll, int n)
    {
        var dbName = $"{s.DbPrefix}{n}b";
        var cs = await CreateDatabaseAsync(s.PgServer, dbName);
        try
        {
            await MigrateAndSeedAsync(cs, s.Recipients);
            await using var fake = await FakeBotApi.StartAsync();
            await using var cluster = await Cluster.StartAsync(s, dll, cs, fake.BaseUrl, n, s.LiftedLimit);
            using var admin = new HttpClient { BaseAddress = new Uri(cluster.FrontUrl), Timeout = TimeSpan.FromSeconds(60) };
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
            fake.Reset();
            var started = Stopwatch.StartNew();
            var r = await admin.PostAsJsonAsync("/api/v1/admin/broadcasts", new { text = BroadcastText, segment = "language", language = "en" });
            if ((int)r.StatusCode != 201) throw new InvalidOperationException($"POST /broadcasts: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
            var id = (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
            JsonElement view;
            while (true)
            {
                await Task.Delay(250);
                view = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/admin/broadcasts/{id}");
                if (view.GetProperty("status").GetString() is "Completed" or "Cancelled") break;
                if (started.Elapsed > TimeSpan.FromSeconds(s.DrainTimeout)) throw new TimeoutException($"Not completed after {s.DrainTimeout} s: {view}");
            }
            var rate = SendRate(fake.SentAtTicks(), s.LiftedLimit);
            rate["by_sent_at"] = SendRate(await SentAtTicksAsync(cs, 0, long.MaxValue), s.LiftedLimit);
            rate["recipients"] = s.Recipients;
            rate["distinct_chats"] = fake.DistinctChats;
            rate["sent"] = view.GetProperty("sent").GetInt32();
            rate["exactly_once"] = fake.Sends == s.Recipients && fake.DistinctChats == s.Recipients;
            rate["start_to_completed_s"] = Math.Round(started.Elapsed.TotalSeconds, 1);
            return rate;
        }
        finally { await DropDatabaseAsync(s.PgServer, dbName); }
    }

    /// <summary>Messages, their rate from the first to the last, and the most in any 1-s window, from the fake's arrival times.</summary>
    private static JsonObject SendRate(long[] ticks, int limit)
    {
        Array.Sort(ticks);
        int most = 0;
        for (int i = 0, j = 0; i < ticks.Length; i++)
        {
            while (j < ticks.Length && ticks[j] - ticks[i] < TimeSpan.TicksPerSecond) j++;
            most = Math.Max(most, j - i);
        }
        // The most the sends ever ran ahead of a token bucket of the limit with a burst of one second's worth (the
        // outbox's own buckets), as OutboxSharedLimitsTests.WorstExcess counts it, in O(n): max over i <= j of
        // (j - i + 1) - burst - limit * (t_j - t_i).
        double excess = ticks.Length == 0 ? 0 : double.MinValue, lowest = double.MaxValue;
        for (var j = 0; j < ticks.Length; j++)
        {
            var at = (ticks[j] - ticks[0]) / (double)TimeSpan.TicksPerSecond;
            lowest = Math.Min(lowest, j - limit * at);
            excess = Math.Max(excess, j - limit * at - lowest + 1 - limit);
        }
        var span = ticks.Length > 1 ? (ticks[^1] - ticks[0]) / (double)TimeSpan.TicksPerSecond : 0;
        return new JsonObject
        {
            ["limit_per_s"] = limit,
            ["messages"] = ticks.Length,
            ["span_s"] = Math.Round(span, 1),
            ["per_s"] = span > 0 ? Math.Round((ticks.Length - 1) / span, 1) : 0,
            ["max_in_1s"] = most,
            ["excess_over_bucket"] = Math.Round(excess, 1),
        };
    }

    /// <summary>The outbox's "SentAt" of the messages sent between two UTC tick counts.</summary>
    private static async Task<long[]> SentAtTicksAsync(string cs, long from, long to)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("""SELECT "SentAt" FROM outbox WHERE "SentAt" IS NOT NULL""", conn);
        var ticks = new List<long>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            var t = r.GetDateTime(0).Ticks;
            if (t >= from && t <= to) ticks.Add(t);
        }
        return ticks.ToArray();
    }

    private sealed record Drain(long Accepted, long Handled, double SpanS, double? P50, double? P99, double? Max);

    /// <summary>drain_stats.py's figures: handled over first received → last handled, and received → handled percentiles.</summary>
    private static async Task<Drain> DrainStatsAsync(string cs)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("""
            SELECT count(*), extract(epoch from min("ReceivedAt")), extract(epoch from max("ProcessedAt")),
                   count("ProcessedAt"),
                   percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch from "ProcessedAt" - "ReceivedAt")),
                   percentile_disc(0.99) WITHIN GROUP (ORDER BY extract(epoch from "ProcessedAt" - "ReceivedAt")),
                   max(extract(epoch from "ProcessedAt" - "ReceivedAt"))
            FROM inbound_updates WHERE "Channel" = 'telegram'
            """, conn);
        await using var r = await cmd.ExecuteReaderAsync();
        await r.ReadAsync();
        double? Ms(int i) => r.IsDBNull(i) ? null : Math.Round(Convert.ToDouble(r.GetValue(i), CultureInfo.InvariantCulture) * 1000, 1);
        var first = r.IsDBNull(1) ? 0 : Convert.ToDouble(r.GetValue(1), CultureInfo.InvariantCulture);
        var last = r.IsDBNull(2) ? 0 : Convert.ToDouble(r.GetValue(2), CultureInfo.InvariantCulture);
        return new Drain(r.GetInt64(0), r.GetInt64(3), last - first, Ms(4), Ms(5), Ms(6));
    }

    /// <summary>N server processes on one database and nginx in front of them; disposing stops them all.</summary>
    private sealed class Cluster : IAsyncDisposable
    {
        private readonly List<Process> _servers = [];
        private readonly List<StreamWriter> _logs = [];
        private Process? _nginx;
        private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("bazaar-scale-");
        public string FrontUrl { get; private set; } = "";

        public static async Task<Cluster> StartAsync(Settings s, string dll, string cs, string botApi, int n, int perSecond)
        {
            var cluster = new Cluster();
            try
            {
                var ports = new List<int>();
                // One after another: on 2 cores, cold starts at once take far longer (each JIT-compiles).
                for (var i = 0; i < n; i++) ports.Add(await cluster.StartServerAsync(dll, cs, botApi, i, perSecond));
                var front = BenchHost.FreePort();
                cluster._nginx = cluster.StartNginx(s.Nginx, front, ports);
                cluster.FrontUrl = $"http://127.0.0.1:{front}";
                using var probe = new HttpClient { BaseAddress = new Uri(cluster.FrontUrl), Timeout = TimeSpan.FromSeconds(2) };
                await WaitReadyAsync(probe, () => cluster._nginx.HasExited, "nginx", 30);
                return cluster;
            }
            catch
            {
                await cluster.DisposeAsync();
                throw;
            }
        }

        private async Task<int> StartServerAsync(string dll, string cs, string botApi, int index, int perSecond)
        {
            var port = BenchHost.FreePort();
            var psi = new ProcessStartInfo("dotnet", [dll, "--urls", $"http://127.0.0.1:{port}"])
            {
                WorkingDirectory = Path.GetDirectoryName(dll)!, RedirectStandardOutput = true, RedirectStandardError = true,
            };
            var env = psi.Environment;
            env["ASPNETCORE_ENVIRONMENT"] = "Production";
            env["Database__Provider"] = "Postgres";
            env["ConnectionStrings__Bazaar"] = cs;
            env["Telegram__Mode"] = "Webhook";
            env["Telegram__BotToken"] = "123456:SCALE-token";
            env["Telegram__WebhookSecret"] = Secret;
            env["Telegram__ApiBaseUrl"] = botApi;
            env["Sandbox__Enabled"] = "false";
            env["Seed__Demo"] = "false";
            env["Admin__ApiKey"] = ApiKey;
            env["Logging__LogLevel__Default"] = "Warning";
            env["Outbox__GlobalPerSecond"] = perSecond.ToString(CultureInfo.InvariantCulture);
            env["Outbox__BroadcastPerSecond"] = perSecond.ToString(CultureInfo.InvariantCulture);
            var log = new StreamWriter(Path.Combine(_dir.FullName, $"server-{index}.log")) { AutoFlush = true };
            _logs.Add(log);
            var process = Process.Start(psi)!;
            _servers.Add(process);
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            using var probe = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(2) };
            await WaitReadyAsync(probe, () => process.HasExited, $"server {index} (log: {_dir.FullName}/server-{index}.log)", 120);
            return port;
        }

        private Process StartNginx(string nginx, int port, IEnumerable<int> upstreams)
        {
            var dir = _dir.FullName;
            var conf = Path.Combine(dir, "nginx.conf");
            // ThreeInstancesTests' configuration, with keep-alive connections to the instances as a production proxy has.
            File.WriteAllText(conf, $$"""
                worker_processes auto;
                pid {{dir}}/nginx.pid;
                error_log {{dir}}/error.log warn;
                events { worker_connections 4096; }
                http {
                    access_log off;
                    client_body_temp_path {{dir}}/body;
                    proxy_temp_path {{dir}}/proxy;
                    fastcgi_temp_path {{dir}}/fastcgi;
                    uwsgi_temp_path {{dir}}/uwsgi;
                    scgi_temp_path {{dir}}/scgi;
                    upstream bazaar {
                {{string.Join("\n", upstreams.Select(p => $"        server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;"))}}
                        keepalive 64;
                    }
                    server {
                        listen 127.0.0.1:{{port}};
                        location / {
                            proxy_pass http://bazaar;
                            proxy_http_version 1.1;
                            proxy_set_header Connection "";
                            proxy_connect_timeout 1s;
                            proxy_next_upstream error timeout http_502 http_503;
                        }
                    }
                }
                """);
            var psi = new ProcessStartInfo(nginx, ["-p", dir, "-e", Path.Combine(dir, "error.log"), "-c", conf, "-g", "daemon off;"])
            {
                RedirectStandardOutput = true, RedirectStandardError = true,
            };
            var process = Process.Start(psi)!;
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("[nginx] " + e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("[nginx] " + e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return process;
        }

        /// <summary>User plus system CPU seconds of the server processes so far (/proc/pid/stat, clock ticks of 1/100 s).</summary>
        public double ServersCpuSeconds() => _servers.Sum(p =>
        {
            var stat = File.ReadAllText($"/proc/{p.Id}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
        });

        public async ValueTask DisposeAsync()
        {
            foreach (var p in _servers.Append(_nginx).OfType<Process>())
            {
                if (!p.HasExited) p.Kill(entireProcessTree: true);
                await p.WaitForExitAsync();
            }
            foreach (var l in _logs) { lock (l) l.Dispose(); }
            NpgsqlConnection.ClearAllPools();
            try { _dir.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static async Task WaitReadyAsync(HttpClient probe, Func<bool> exited, string what, int seconds)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            if (exited()) throw new InvalidOperationException($"{what} exited during start-up.");
            try
            {
                if ((await probe.GetAsync("/health/ready")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what} did not become ready in {seconds} s.");
            await Task.Delay(200);
        }
    }

    /// <summary>The schema, and N English-speaking Telegram users for the broadcast (written directly: not what is measured).</summary>
    private static async Task MigrateAndSeedAsync(string cs, int users)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Postgres", ["ConnectionStrings:Bazaar"] = cs,
        }).Build();
        await using var sp = new ServiceCollection().AddLogging(l => l.SetMinimumLevel(LogLevel.Warning)).AddSingleton(TimeProvider.System)
            .AddData(config).BuildServiceProvider();
        await using var scope = sp.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        await db.Database.MigrateAsync();
        var now = DateTime.UtcNow;
        for (var from = 0; from < users; from += 5000)
        {
            db.Users.AddRange(Enumerable.Range(from, Math.Min(5000, users - from)).Select(i => new ChatUser
            {
                Channel = ChatChannel.Telegram, ExternalId = (1_000_000_000L + i).ToString(CultureInfo.InvariantCulture),
                FirstName = "U" + i, LanguageCode = "en", CreatedAt = now, LastSeenAt = now,
            }));
            await db.SaveChangesAsync();
            db.ChangeTracker.Clear();
        }
    }

    private static async Task<string> CreateDatabaseAsync(string server, string name)
    {
        await DropDatabaseAsync(server, name);
        await ExecAsync(server, $"CREATE DATABASE \"{name}\"");
        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ToString();
    }

    private static async Task DropDatabaseAsync(string server, string name)
    {
        NpgsqlConnection.ClearAllPools();
        await ExecAsync(server, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    }

    private static async Task ExecAsync(string server, string sql)
    {
        var b = new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false };
        await using var conn = new NpgsqlConnection(b.ToString());
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<long> ScalarAsync(string cs, string sql)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>The machine's CPU jiffies from /proc/stat: all, busy, and run niced.</summary>
    private sealed record Cpu(long Total, long Busy, long Niced)
    {
        public static Cpu Read()
        {
            var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..].Select(long.Parse).ToArray();
            // user nice system idle iowait irq softirq steal
            var total = f.Take(8).Sum();
            return new Cpu(total, total - f[3] - f[4], f[1]);
        }

        public (double BusyPct, double NicedPct) Since(Cpu before)
        {
            var total = Math.Max(1, Total - before.Total);
            return (Math.Round(100.0 * (Busy - before.Busy) / total, 1), Math.Round(100.0 * (Niced - before.Niced) / total, 1));
        }
    }

    private static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }

}
