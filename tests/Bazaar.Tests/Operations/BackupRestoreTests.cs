using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;

namespace Bazaar.Tests.Operations;

/// <summary>
/// docs/deploy.md's backup and restore, run as written: the test reads the commands out of the guide (the blocks marked
/// <c>&lt;!-- tested: backup --&gt;</c> and <c>&lt;!-- tested: restore --&gt;</c>) and runs them with bash.
/// </summary>
public sealed class BackupRestoreTests
{
    [PostgresRunFact]
    public async Task The_documented_pg_dump_and_restore_bring_back_a_database_the_server_runs_on()
    {
        var server = TestDatabase.PostgresServer!;
        await using var source = await TestDatabase.CreatePostgresAsync(server);
        await using var restored = TestDatabase.NamedPostgres(server);
        var backup = Path.Combine(Path.GetTempPath(), $"bazaar-backup-{Guid.NewGuid():N}.dump");
        try
        {
            // A database with every feature's demo data (users, orders, payments, wallet ledger, jobs, outbox ...).
            var before = await LedgerAfterStartAsync(source, "true");
            Assert.True(before.GetProperty("ok").GetBoolean());
            Assert.True(before.GetProperty("entries").GetInt32() > 0, "the demo data has ledger entries");
            var rowsBefore = await RowCountsAsync(source.ConnectionString);

            var pg = new NpgsqlConnectionStringBuilder(server);
            var env = new Dictionary<string, string>
            {
                ["PGHOST"] = pg.Host!, ["PGPORT"] = pg.Port.ToString(), ["PGUSER"] = pg.Username!,
                ["SOURCE_DB"] = source.PostgresName!, ["RESTORED_DB"] = restored.PostgresName!, ["OWNER"] = pg.Username!, ["BACKUP"] = backup,
            };
            if (!string.IsNullOrEmpty(pg.Password)) env["PGPASSWORD"] = pg.Password;
            var guide = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "docs", "deploy.md"));
            await RunAsync(Documented(guide, "backup"), env);
            Assert.True(new FileInfo(backup).Length > 0);
            await RunAsync(Documented(guide, "restore"), env);

            // Every table holds what it held, and the server starts on the copy (nothing to migrate) with a ledger that verifies.
            Assert.Equal(rowsBefore, await RowCountsAsync(restored.ConnectionString));
            var after = await LedgerAfterStartAsync(restored, "false");
            Assert.True(after.GetProperty("ok").GetBoolean());
            foreach (var n in (string[])["accounts", "transactions", "entries"]) Assert.Equal(before.GetProperty(n).GetInt32(), after.GetProperty(n).GetInt32());
        }
        finally
        {
            File.Delete(backup);
        }
    }

    /// <summary>Starts the server on the database (migrating and seeding it), checks it is ready, and returns its ledger check.</summary>
    private static async Task<JsonElement> LedgerAfterStartAsync(TestDatabase db, string demo)
    {
        var app = new AppFactory().OnDatabase(db).With("Seed:Demo", demo);
        try
        {
            await app.InitializeAsync();
            Assert.Equal(200, (int)(await app.CreateClient().GetAsync("/health/ready")).StatusCode);
            return await (await app.AdminClient().GetAsync("/api/v1/admin/ledger/verify")).ReadJson();
        }
        finally { await ((IAsyncLifetime)app).DisposeAsync(); }
    }

    private static async Task<SortedDictionary<string, long>> RowCountsAsync(string connectionString)
    {
        await using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
        await c.OpenAsync();
        var tables = new List<string>();
        await using (var cmd = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'", c))
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            while (await r.ReadAsync()) tables.Add(r.GetString(0));
        }
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var t in tables)
        {
            await using var cmd = new NpgsqlCommand($"SELECT count(*) FROM \"{t}\"", c);
            counts[t] = (long)(await cmd.ExecuteScalarAsync())!;
        }
        return counts;
    }

    /// <summary>The bash block that follows <c>&lt;!-- tested: name --&gt;</c> in the guide.</summary>
    internal static string Documented(string guide, string name)
    {
        var m = Regex.Match(guide, $@"<!-- tested: {name} -->\s*```bash\n(?<body>.*?)```", RegexOptions.Singleline);
        Assert.True(m.Success, $"docs/deploy.md has no bash block marked <!-- tested: {name} -->");
        return m.Groups["body"].Value;
    }

    private static async Task RunAsync(string script, Dictionary<string, string> env)
    {
        var psi = new ProcessStartInfo("bash", ["-euo", "pipefail", "-c", script])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        // A missing pg_dump/pg_restore (exit 127) fails here: install postgresql-client.
        Assert.True(p.ExitCode == 0, $"exit {p.ExitCode} running:\n{script}\n{await stdout}\n{await stderr}");
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Bazaar.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("Bazaar.slnx not found above " + AppContext.BaseDirectory);
    }
}
