using System.Net.Http.Headers;
using Bazaar.Server.Data;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace Bazaar.Tests.Infrastructure;

/// <summary>
/// The whole server in process, on a database of its own, with a fake clock.
/// Use one per test class (IClassFixture) or per test; tests create the data they need.
/// </summary>
public class AppFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string ApiKey = "test-api-key-0123456789";
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
    public TestDatabase Database { get; private set; } = null!;
    private readonly Dictionary<string, string?> _settings = new();
    private bool _ownsDatabase = true;

    /// <summary>Runs on an existing database (e.g. to restart the server on the same data); the caller disposes it.</summary>
    public AppFactory OnDatabase(TestDatabase database)
    {
        Database = database;
        _ownsDatabase = false;
        return this;
    }

    /// <summary>Settings for this factory, applied over appsettings.json (e.g. "Telegram:WebhookSecret").</summary>
    public AppFactory With(string key, string? value)
    {
        _settings[key] = value;
        return this;
    }

    public virtual async Task InitializeAsync()
    {
        if (_ownsDatabase) Database = await TestDatabase.CreateAsync();
        _ = Services; // start the host: migrations and seeds run now
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        if (_ownsDatabase) await Database.DisposeAsync();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Database:Provider", Database.Provider);
        builder.UseSetting("ConnectionStrings:Bazaar", Database.ConnectionString);
        builder.UseSetting("Admin:ApiKey", ApiKey);
        builder.UseSetting("Admin:Username", "owner");
        builder.UseSetting("Admin:Password", "owner-pass-123");
        builder.UseSetting("Seed:Demo", "false");
        // Tests step the outbox sender themselves (OutboxSender.RunOnceAsync); With("Outbox:Enabled", "true") runs the loop.
        builder.UseSetting("Outbox:Enabled", "false");
        // Tests step the job scheduler and workers themselves (JobScheduler/JobRunner.RunOnceAsync), so a recurring
        // clean-up never races a test that moves the clock; With("Jobs:Enabled", "true") runs the job host.
        builder.UseSetting("Jobs:Enabled", "false");
        // The giveaways' every-minute and every-30-s schedules would add to the fires other tests count; on only where needed.
        builder.UseSetting("Giveaways:Schedules", "false");
        foreach (var (k, v) in _settings) builder.UseSetting(k, v);
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Clock);
            ConfigureTestServices(services);
        });
    }

    protected virtual void ConfigureTestServices(IServiceCollection services) { }

    public HttpClient AdminClient()
    {
        var c = CreateClient();
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        return c;
    }

    /// <summary>Runs work against the database in a fresh scope.</summary>
    public async Task<T> WithDb<T>(Func<BazaarDb, Task<T>> work)
    {
        await using var scope = Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<BazaarDb>());
    }

    public async Task WithDb(Func<BazaarDb, Task> work)
    {
        await using var scope = Services.CreateAsyncScope();
        await work(scope.ServiceProvider.GetRequiredService<BazaarDb>());
    }
}
