using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Bazaar.Tests.Infrastructure;

/// <summary>
/// A throwaway redis-server on 127.0.0.1 and a free port, nothing saved to disk; stopped (and restartable on the same
/// port, to test an outage) by the test. Needs Debian's redis-server package (.ci/run installs it).
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private Process? _process;

    public int Port { get; }

    /// <summary>What Redis:Connection is set to; a short connect timeout so an outage test does not wait long.</summary>
    public string Connection => $"127.0.0.1:{Port},connectTimeout=2000,syncTimeout=2000,asyncTimeout=2000";

    private RedisServer(int port) => Port = port;

    public static string? Executable =>
        new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists);

    public static async Task<RedisServer> StartAsync()
    {
        var server = new RedisServer(FreePort());
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts (again) on the same port, with an empty data set.</summary>
    public async Task StartAgainAsync()
    {
        var exe = Executable ?? throw new InvalidOperationException("redis-server is not installed (apt-get install redis-server); CI never skips the Redis tests.");
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var a in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes" })
            psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var until = DateTime.UtcNow.AddSeconds(10);
        while (!await PingAsync())
        {
            if (_process.HasExited) throw new InvalidOperationException($"redis-server exited with {_process.ExitCode} on port {Port}");
            if (DateTime.UtcNow > until) throw new TimeoutException($"redis-server did not answer on port {Port}");
            await Task.Delay(20);
        }
    }

    /// <summary>Kills the server (an outage as a crash would cause it).</summary>
    public async Task StopAsync()
    {
        if (_process is null) return;
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    private async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var n = await stream.ReadAsync(buffer);
            return Encoding.ASCII.GetString(buffer, 0, n).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public ValueTask DisposeAsync() => new(StopAsync());
}

/// <summary>
/// A test that needs redis-server. Without it the test is reported as skipped, never as passed; in CI (CI=true) it runs
/// and fails instead.
/// </summary>
public sealed class RedisFactAttribute : FactAttribute
{
    public RedisFactAttribute()
    {
        if (RedisServer.Executable is null && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = "needs redis-server (apt-get install redis-server); CI=true makes its absence a failure";
    }
}
