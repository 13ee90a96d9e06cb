using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bazaar.Server.Channels;
using Bazaar.Server.Data;
using Bazaar.Tests.Channels;
using Bazaar.Tests.Fakes;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Bazaar.Tests.Operations;

/// <summary>
/// Three real server processes (the built Bazaar.Server.dll under `dotnet`) on one fresh PostgreSQL database, behind
/// Debian's nginx on loopback, with the Bot API pointed at a fake. PostgreSQL only: on SQLite there is one process per
/// database by design. In the PostgreSQL run a missing nginx fails the test (.ci/run installs it).
/// </summary>
public sealed class ThreeInstancesTests(ITestOutputHelper output)
{
    private const string Nginx = "/usr/sbin/nginx";
    private const string ApiKey = "three-instances-admin-key-0123456789";
    private const string WebhookSecret = "three-instances-secret";
    private const int Recipients = 3000;
    private const int PerSecond = 60;

    [PostgresRunFact]
    public async Task Three_instances_behind_nginx_handle_duplicates_once_keep_the_global_rate_and_survive_a_SIGKILL()
    {
        Assert.True(File.Exists(Nginx), $"{Nginx} is missing: install Debian's nginx (.ci/run does) to run the three-instance test");
        await using var database = await TestDatabase.CreatePostgresAsync(TestDatabase.PostgresServer!);
        await using var api = await FakeBotApi.StartAsync();
        await SeedAsync(database.ConnectionString);

        var servers = new List<(Process Process, int Port)>();
        var dir = Directory.CreateTempSubdirectory("bazaar-nginx-");
        Process? nginx = null;
        try
        {
            // One after another: on a loaded 2-core machine three cold starts at once take minutes (each JIT-compiles).
            for (var i = 0; i < 3; i++) servers.Add(await StartServerAsync(database.ConnectionString, api.BaseUrl, i));
            var front = FreePort();
            nginx = StartNginx(dir.FullName, front, servers.Select(s => s.Port));
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{front}"), Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
            await WaitUntil(async () => (await http.GetAsync("/health/ready")).IsSuccessStatusCode, TimeSpan.FromSeconds(30), "nginx is not proxying");
            api.Clear();

            // (a) Each update delivered four times at once: to each instance directly and once through nginx.
            var control = Updates.NewUserId() + 900_000;
            await PostUpdate(http, Updates.Text(control, "/start", lang: "ru"));
            await WaitUntil(() => Task.FromResult(RepliesTo(api, control) > 0), TimeSpan.FromSeconds(30), "the control /start got no reply");
            var users = Enumerable.Range(0, 10).Select(_ => Updates.NewUserId() + 900_000).ToList();
            foreach (var user in users)
            {
                var update = Updates.Text(user, "/start", lang: "ru");
                await Task.WhenAll(servers.Select(s => PostUpdate(http, update, s.Port)).Append(PostUpdate(http, update)));
            }
            await WaitUntil(() => Task.FromResult(users.All(u => RepliesTo(api, u) >= RepliesTo(api, control))), TimeSpan.FromSeconds(30),
                "not every duplicated /start was answered");
            await Task.Delay(1500); // a second handling would answer again by now
            foreach (var u in users) Assert.Equal(RepliesTo(api, control), RepliesTo(api, u));
            var inbound = await CountAsync(database.ConnectionString, db => db.InboundUpdates.CountAsync());
            Assert.Equal(users.Count + 1, inbound);

            // (b) and (c): a broadcast to 3,000 through nginx, one instance SIGKILLed in the middle.
            api.Clear();
            var created = await http.PostAsJsonAsync("/api/v1/admin/broadcasts", new { text = "three", segment = "language", language = "en" });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
            await WaitUntil(() => Task.FromResult(BroadcastSends(api).Count >= Recipients / 3), TimeSpan.FromSeconds(60), "the broadcast did not start");
            servers[0].Process.Kill(); // SIGKILL: no shutdown, its claims stay until their leases lapse
            var killedAt = BroadcastSends(api).Count;
            await WaitUntil(async () => (await http.GetFromJsonAsync<JsonElement>($"/api/v1/admin/broadcasts/{id}")).GetProperty("status").GetString() is "Completed",
                TimeSpan.FromSeconds(90), "the broadcast did not complete after the kill");

            var sends = BroadcastSends(api);
            var perChat = sends.GroupBy(c => c.Str("chat_id")).ToList();
            var duplicates = sends.Count - perChat.Count;
            var excess = OutboxSharedLimitsTests.WorstExcess(sends.Select(c => c.At).ToList(), PerSecond, PerSecond);
            output.WriteLine($"sent {sends.Count} to {perChat.Count} chats over {(sends.Max(c => c.At) - sends.Min(c => c.At)).TotalSeconds:0.0} s; " +
                             $"killed after {killedAt}; duplicates {duplicates}; worst excess over {PerSecond}/s: {excess:0.0}");
            // Nothing lost: every recipient got the broadcast, and every row ended sent.
            Assert.Equal(Recipients, perChat.Count);
            Assert.Equal(0, await CountAsync(database.ConnectionString, db => db.Outbox.CountAsync(m => m.Status != OutboxStatus.Sent)));
            // A message the killed instance sent but had not yet recorded is sent again after its lease: the Bot API has no
            // idempotency key. With Outbox:SentFlushSize=1 that is at most one per lane in flight at the kill.
            Assert.InRange(duplicates, 0, 8);
            // The three (then two) together kept to the global rate. A broadcast is also fed to the outbox by one
            // broadcasts.run job at a time, at min(BroadcastPerSecond, GlobalPerSecond): with the shared buckets removed this
            // still held (excess 48.9), so OutboxSharedLimitsTests is what proves the buckets themselves.
            // A second and a half of slack for the time between taking a token and the fake stamping the call, on a loaded
            // machine (a stall of the test process stamps a queue at once): CI on PostgreSQL once measured 66.9 against one
            // second's 60 with nothing changed in the sender.
            Assert.True(excess <= PerSecond * 1.5, $"the instances together sent {excess:0.0} messages more than {PerSecond}/s allows");
        }
        finally
        {
            foreach (var (p, _) in servers)
            {
                if (!p.HasExited) p.Kill(entireProcessTree: true);
                await p.WaitForExitAsync();
            }
            if (nginx is { HasExited: false })
            {
                nginx.Kill(entireProcessTree: true);
                await nginx.WaitForExitAsync();
            }
            Npgsql.NpgsqlConnection.ClearAllPools();
            try { dir.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static int RepliesTo(FakeBotApi api, long user) => api.CallsOf("sendMessage").Count(c => c.Str("chat_id") == user.ToString());

    private static List<FakeBotApi.Call> BroadcastSends(FakeBotApi api) => api.CallsOf("sendMessage").Where(c => c.Str("text") == "three").ToList();

    private static async Task PostUpdate(HttpClient http, JsonObject update, int? port = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, port is { } p ? $"http://127.0.0.1:{p}{TelegramWebhookPath}" : TelegramWebhookPath)
        {
            Content = new StringContent(update.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Telegram-Bot-Api-Secret-Token", WebhookSecret);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private const string TelegramWebhookPath = Bazaar.Server.Channels.Telegram.TelegramWebhook.Path;

    private static async Task WaitUntil(Func<Task<bool>> done, TimeSpan within, string what)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            try
            {
                if (await done()) return;
            }
            catch (HttpRequestException) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException(what);
            await Task.Delay(200);
        }
    }

    private static async Task<T> CountAsync<T>(string cs, Func<BazaarDb, Task<T>> query)
    {
        await using var sp = Services(cs);
        await using var scope = sp.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<BazaarDb>());
    }

    private static ServiceProvider Services(string cs)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Postgres", ["ConnectionStrings:Bazaar"] = cs,
        }).Build();
        return new ServiceCollection().AddLogging(l => l.SetMinimumLevel(LogLevel.Warning)).AddSingleton(TimeProvider.System)
            .AddData(config).BuildServiceProvider();
    }

    private static async Task SeedAsync(string cs)
    {
        await using var sp = Services(cs);
        await using var scope = sp.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        await db.Database.MigrateAsync();
        var now = DateTime.UtcNow;
        db.Users.AddRange(Enumerable.Range(0, Recipients).Select(i => new ChatUser
        {
            Channel = ChatChannel.Telegram, ExternalId = (1_000_000_000L + i).ToString(System.Globalization.CultureInfo.InvariantCulture),
            FirstName = "U" + i, LanguageCode = "en", CreatedAt = now, LastSeenAt = now,
        }));
        await db.SaveChangesAsync();
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Bazaar.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Bazaar.slnx not found above " + AppContext.BaseDirectory);
    }

    private async Task<(Process, int)> StartServerAsync(string cs, string botApi, int index)
    {
        // The server built in this test run's configuration (tests/Bazaar.Tests/bin/<Configuration>/net10.0/).
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Parent!.Name;
        var dll = Path.Combine(RepoRoot(), "src", "Bazaar.Server", "bin", configuration, "net10.0", "Bazaar.Server.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the server in {configuration}");
        var port = FreePort();
        var psi = new ProcessStartInfo("dotnet", [dll, "--urls", $"http://127.0.0.1:{port}"])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        var env = psi.Environment;
        env["ASPNETCORE_ENVIRONMENT"] = "Production";
        env["Database__Provider"] = "Postgres";
        env["ConnectionStrings__Bazaar"] = cs;
        env["Telegram__Mode"] = "Webhook";
        env["Telegram__BotToken"] = "123456:THREE-token";
        env["Telegram__WebhookSecret"] = WebhookSecret;
        env["Telegram__ApiBaseUrl"] = botApi;
        env["Sandbox__Enabled"] = "false";
        env["Seed__Demo"] = "false";
        env["Admin__ApiKey"] = ApiKey;
        env["Logging__LogLevel__Default"] = "Warning";
        env["Outbox__GlobalPerSecond"] = PerSecond.ToString();
        env["Outbox__BroadcastPerSecond"] = PerSecond.ToString();
        // Short leases, so the killed instance's claims are taken over within the test.
        env["Outbox__LeaseSeconds"] = "5";
        env["Outbox__SentFlushSize"] = "1";
        env["Jobs__LeaseSeconds"] = "5";
        env["Conversations__Processor__LeaseSeconds"] = "5";
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Log($"[server {index}] {e.Data}"); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Log($"[server {index}] {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var probe = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            await WaitUntil(async () =>
            {
                if (process.HasExited) throw new InvalidOperationException($"server {index} exited during start-up");
                try { return (await probe.GetAsync("/health/ready")).IsSuccessStatusCode; }
                catch (TaskCanceledException) { return false; }
            }, TimeSpan.FromSeconds(120), $"server {index} did not become ready");
        }
        catch
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            throw;
        }
        return (process, port);
    }

    private void Log(string line)
    {
        try { output.WriteLine(line); } catch (InvalidOperationException) { } // after the test ended
    }

    private Process StartNginx(string dir, int port, IEnumerable<int> upstreams)
    {
        var conf = Path.Combine(dir, "nginx.conf");
        File.WriteAllText(conf, $$"""
            worker_processes 1;
            pid {{dir}}/nginx.pid;
            error_log {{dir}}/error.log warn;
            events { worker_connections 1024; }
            http {
                access_log off;
                client_body_temp_path {{dir}}/body;
                proxy_temp_path {{dir}}/proxy;
                fastcgi_temp_path {{dir}}/fastcgi;
                uwsgi_temp_path {{dir}}/uwsgi;
                scgi_temp_path {{dir}}/scgi;
                upstream bazaar {
            {{string.Join("\n", upstreams.Select(p => $"        server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;"))}}
                }
                server {
                    listen 127.0.0.1:{{port}};
                    location / {
                        proxy_pass http://bazaar;
                        proxy_connect_timeout 1s;
                        proxy_next_upstream error timeout http_502 http_503;
                    }
                }
            }
            """);
        var psi = new ProcessStartInfo(Nginx, ["-p", dir, "-e", Path.Combine(dir, "error.log"), "-c", conf, "-g", "daemon off;"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Log("[nginx] " + e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Log("[nginx] " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
