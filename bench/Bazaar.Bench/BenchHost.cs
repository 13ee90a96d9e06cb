using System.Net;

namespace Bazaar.Bench;

/// <summary>What every benchmark needs of its surroundings: the repository it runs in and a free loopback port.</summary>
internal static class BenchHost
{
    public static string RepoRoot()
    {
        for (var d = new DirectoryInfo(Directory.GetCurrentDirectory()); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Bazaar.slnx"))) return d.FullName;
        return Directory.GetCurrentDirectory();
    }

    public static int FreePort()
    {
        var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
