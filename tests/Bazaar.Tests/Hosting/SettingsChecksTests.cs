using System.Diagnostics;
using Bazaar.Tests.Payments;

namespace Bazaar.Tests.Hosting;

/// <summary>The real server process started with one bad setting: it stops with exit code 2 and one line naming the key.</summary>
public sealed class SettingsChecksTests
{
    public static TheoryData<string, string, string> BadSettings => new()
    {
        { "Database__Provider", "Oracle", "Database:Provider" },
        { "Payments__Crypto__Btc__Xpub", "xpub-not-a-key", "Payments:Crypto:Btc:Xpub" },
        { "Payments__Crypto__Ltc__Xpub", PaymentsAppFactory.LtcZpub[..^1] + "x", "Payments:Crypto:Ltc:Xpub" }, // a checksum typo
        { "Payments__Stripe__SecretKey", "sk_live_abc", "Payments:Stripe:WebhookSecret" },
        { "Telegram__Mode", "Webhook", "Telegram:WebhookSecret" },
        { "Telegram__BotToken", "123456:ABC", "Telegram:WebhookSecret" }, // Webhook is the default mode with a token
        { "Telegram__Mode", "Sometimes", "Telegram:Mode" },
        { "Admin__TelegramIds", "12345, @alice", "Admin:TelegramIds" },
        { "Admin__TelegramIds", "-100", "Admin:TelegramIds" },
        { "Redis__Connection", "127.0.0.1:6379,frobnicate=yes", "Redis:Connection" },
        { "Redis__Connection", ",", "Redis:Connection" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task A_bad_setting_stops_the_server_with_one_line_naming_the_key(string env, string value, string key)
    {
        var run = await ServerProcess.RunAsync(new() { [env] = value });
        Assert.False(run.Listening, $"the server started despite {key}: {run.Stderr}");
        Assert.Equal(2, run.ExitCode);
        var lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines, l => l.StartsWith("bazaar: cannot start:", StringComparison.Ordinal));
        Assert.Contains(key, line);
        Assert.DoesNotContain("   at ", run.Stderr + run.Stdout); // no stack trace, in the log either
    }

    [Fact]
    public async Task Good_settings_of_the_same_kinds_start_the_server()
    {
        var run = await ServerProcess.RunAsync(new()
        {
            ["Payments__Crypto__Btc__Xpub"] = PaymentsAppFactory.BtcZpub,
            ["Payments__Crypto__Ltc__Xpub"] = PaymentsAppFactory.LtcZpub,
            ["Payments__Stripe__SecretKey"] = "sk_live_abc",
            ["Payments__Stripe__WebhookSecret"] = "whsec_abc",
            ["Telegram__Mode"] = "Polling",
            ["Telegram__PollingLoop"] = "false",
            ["Telegram__BotToken"] = "123456:ABC",
            ["Telegram__ApiBaseUrl"] = "http://127.0.0.1:9",
            ["Admin__TelegramIds"] = "12345, 67890",
            // Nothing listens there: the server starts anyway and keeps trying (an outage, not a bad setting).
            ["Redis__Connection"] = "127.0.0.1:9,connectTimeout=500",
        });
        Assert.True(run.Listening, run.Stderr);
    }
}

/// <summary>Starts Bazaar.Server.dll as its own process on a fresh SQLite file, as an operator would.</summary>
internal static class ServerProcess
{
    public sealed record Result(bool Listening, int? ExitCode, string Stdout, string Stderr);

    public static string ServerDll
    {
        get
        {
            var here = Path.Combine(AppContext.BaseDirectory, "Bazaar.Server.dll");
            if (File.Exists(Path.Combine(AppContext.BaseDirectory, "Bazaar.Server.runtimeconfig.json"))) return here;
            throw new FileNotFoundException("Bazaar.Server.runtimeconfig.json is not next to the tests", here);
        }
    }

    /// <summary>
    /// Runs the server with these environment variables until it exits or listens, then stops it.
    /// A server that does neither within a minute is killed.
    /// </summary>
    public static async Task<Result> RunAsync(Dictionary<string, string> env)
    {
        var db = Path.Combine(Path.GetTempPath(), "bazaar-tests", $"p-{Guid.NewGuid():N}.db");
        Directory.CreateDirectory(Path.GetDirectoryName(db)!);
        var psi = new ProcessStartInfo("dotnet", [ServerDll, "--urls", "http://127.0.0.1:0"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = AppContext.BaseDirectory,
        };
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment["Database__Provider"] = "Sqlite";
        psi.Environment["ConnectionStrings__Bazaar"] = $"Data Source={db}";
        psi.Environment["Jobs__Enabled"] = "false";
        psi.Environment["Outbox__Enabled"] = "false";
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = new System.Text.StringBuilder();
        var stderr = new System.Text.StringBuilder();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stdout) stdout.AppendLine(e.Data);
            if (e.Data.Contains("Now listening on", StringComparison.Ordinal)) listening.TrySetResult();
        };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var exited = p.WaitForExitAsync(timeout.Token);
            var first = await Task.WhenAny(exited, listening.Task, Task.Delay(Timeout.Infinite, timeout.Token));
            var isListening = listening.Task.IsCompleted;
            if (first == exited && !isListening) p.WaitForExit(); // flush the redirected streams
            var code = p.HasExited ? p.ExitCode : (int?)null;
            return new Result(isListening, code, Out(stdout), Out(stderr));
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            foreach (var f in new[] { db, db + "-wal", db + "-shm" }) try { File.Delete(f); } catch (IOException) { }
        }
    }

    /// <summary>A server process that keeps running (on <paramref name="db"/>) until disposed.</summary>
    public sealed class Running(Process process, string url) : IAsyncDisposable
    {
        public string Url { get; } = url;

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            process.Dispose();
        }
    }

    public static async Task<Running> StartAsync(TestDatabase db, Dictionary<string, string> env)
    {
        var psi = new ProcessStartInfo("dotnet", [ServerDll, "--urls", "http://127.0.0.1:0"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = AppContext.BaseDirectory,
        };
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment["Database__Provider"] = db.Provider;
        psi.Environment["ConnectionStrings__Bazaar"] = db.ConnectionString;
        psi.Environment["Jobs__Enabled"] = "false";
        psi.Environment["Outbox__Enabled"] = "false";
        foreach (var (k, v) in env) psi.Environment[k] = v;
        var p = Process.Start(psi)!;
        var url = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        p.OutputDataReceived += (_, e) =>
        {
            var i = e.Data?.IndexOf("Now listening on: ", StringComparison.Ordinal) ?? -1;
            if (i >= 0) url.TrySetResult(e.Data![(i + "Now listening on: ".Length)..].Trim());
        };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        // Generous: a fresh database is migrated first, and CI machines are busy.
        var done = await Task.WhenAny(url.Task, p.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(180)));
        if (done != url.Task)
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            throw new InvalidOperationException("The server process did not start listening.");
        }
        return new Running(p, url.Task.Result);
    }

    private static string Out(System.Text.StringBuilder sb)
    {
        lock (sb) return sb.ToString();
    }
}
