using Bazaar.Server.Conversations;
using Bazaar.Tests.Operations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bazaar.Tests.Conversations;

/// <summary>
/// The per-user limits with Redis:Connection set (on the run's database): the windows are Redis keys, counted across
/// instances, with the same "slow down" answers as the database windows (RateLimitTests); an unreachable Redis lets
/// updates through.
/// </summary>
public sealed class RateLimitOnRedisTests
{
    /// <summary>The bot server with every log line captured.</summary>
    private sealed class LoggedBotAppFactory : BotAppFactory
    {
        public CapturedLogs Logs { get; } = new();

        protected override void ConfigureTestServices(IServiceCollection services)
        {
            base.ConfigureTestServices(services);
            services.AddSingleton<ILoggerProvider>(Logs);
        }
    }

    private static LoggedBotAppFactory Instance(RedisServer redis, string prefix, TestDatabase? database = null, bool processor = false)
    {
        var app = new LoggedBotAppFactory();
        if (database is not null) app.OnDatabase(database);
        app.With("Redis:Connection", redis.Connection).With("Redis:Prefix", prefix);
        if (processor) app.With("Conversations:Processor:Enabled", "true");
        return app;
    }

    private static string NewPrefix() => "t" + Guid.NewGuid().ToString("N");

    private static Task<List<UpdateStatus>> StatusesOf(AppFactory app, long user) => app.WithDb(db => db.InboundUpdates.AsNoTracking()
        .Where(u => u.UserId == user.ToString()).OrderBy(u => u.UpdateId).Select(u => u.Status).ToListAsync());

    [RedisFact]
    public async Task Over_the_limit_a_user_gets_one_slow_down_reply_and_the_window_reopens()
    {
        await using var redis = await RedisServer.StartAsync();
        var app = Instance(redis, NewPrefix());
        await app.InitializeAsync();
        try
        {
            var user = Updates.NewUserId();
            app.Clock.Advance(TimeSpan.FromSeconds(20));
            for (var i = 1; i <= 13; i++) await app.Post(Updates.Text(user, $"/echo {i}"));
            await app.ProcessAll();

            Assert.Equal(Enumerable.Range(1, 10).Select(i => $"echo:{i}").Append("You're going a bit fast. Please slow down and try again in 60 s."),
                await app.TextsFor(user));
            Assert.Equal(Enumerable.Repeat(UpdateStatus.Processed, 10).Concat(Enumerable.Repeat(UpdateStatus.RateLimited, 3)), await StatusesOf(app, user));
            // The window was Redis's, not a row of the database.
            Assert.Equal(0, await app.WithDb(db => db.RateLimits.CountAsync()));

            app.Clock.Advance(TimeSpan.FromSeconds(30));
            await app.Send(Updates.Text(user, "/echo still limited"));
            Assert.Equal(UpdateStatus.RateLimited, (await StatusesOf(app, user)).Last());
            var texts = await app.TextsFor(user);
            Assert.Equal(11, texts.Count);

            app.Clock.Advance(TimeSpan.FromSeconds(31));
            await app.Send(Updates.Text(user, "/echo again"));
            Assert.Equal("echo:again", (await app.TextsFor(user)).Last());

            // Button presses: their own limit per second, with one answer saying why.
            var presser = Updates.NewUserId();
            for (var i = 0; i < 8; i++) await app.Post(Updates.Callback(presser, $"test:{i}"));
            await app.ProcessAll();
            Assert.Equal(Enumerable.Repeat(UpdateStatus.Processed, 5).Concat(Enumerable.Repeat(UpdateStatus.RateLimited, 3)), await StatusesOf(app, presser));
        }
        finally { await ((IAsyncLifetime)app).DisposeAsync(); }
    }

    [RedisFact]
    public async Task Two_instances_sharing_Redis_count_one_limit_with_one_slow_down()
    {
        // Two servers handling updates as they arrive, a user's commands in many chats spread over both: the window is one
        // Redis key, so the limit is cluster-wide and exactly one update gets the "slow down" reply.
        await using var redis = await RedisServer.StartAsync();
        await using var database = await TestDatabase.CreateAsync();
        var prefix = NewPrefix();
        var (a, b) = (Instance(redis, prefix, database, processor: true), Instance(redis, prefix, database, processor: true));
        try
        {
            await Task.WhenAll(a.InitializeAsync(), b.InitializeAsync());
            var user = Updates.NewUserId();
            var groups = Enumerable.Range(0, 24).Select(_ => -Updates.NewUserId()).ToList();
            await Task.WhenAll(groups.Select((g, i) => Task.Run(() => (i % 2 == 0 ? a : b).Post(Updates.Text(user, "/echo x", chatId: g)))));
            for (var i = 0; i < 100 && (await StatusesOf(a, user)).Any(s => s is UpdateStatus.Received or UpdateStatus.Processing); i++) await Task.Delay(100);

            var statuses = await StatusesOf(a, user);
            Assert.Equal(24, statuses.Count);
            Assert.Equal(10, statuses.Count(s => s == UpdateStatus.Processed));
            Assert.Equal(14, statuses.Count(s => s == UpdateStatus.RateLimited));
            var chats = groups.Select(g => g.ToString()).ToList();
            Assert.Equal(1, await a.WithDb(db => db.Outbox.CountAsync(m => m.ChatId != null && chats.Contains(m.ChatId) && m.Payload.Contains("slow down"))));
            Assert.Equal(0, await a.WithDb(db => db.RateLimits.CountAsync()));
        }
        finally
        {
            await ((IAsyncLifetime)a).DisposeAsync();
            await ((IAsyncLifetime)b).DisposeAsync();
        }
    }

    [RedisFact]
    public async Task With_Redis_down_updates_go_through_unlimited_and_the_limit_returns_with_it()
    {
        await using var redis = await RedisServer.StartAsync();
        var app = Instance(redis, NewPrefix());
        await app.InitializeAsync();
        try
        {
            var user = Updates.NewUserId();
            await app.Send(Updates.Text(user, "/echo up"));
            await redis.StopAsync();

            // Fail open: a chat must keep answering; nothing is counted meanwhile.
            for (var i = 0; i < 12; i++) await app.Post(Updates.Text(user, $"/echo down {i}"));
            await app.ProcessAll();
            Assert.All(await StatusesOf(app, user), s => Assert.Equal(UpdateStatus.Processed, s));
            Assert.Equal(13, (await app.TextsFor(user)).Count);
            Assert.DoesNotContain(await app.TextsFor(user), t => t.Contains("slow down"));
            // Said once, clearly, not once per update.
            var warning = Assert.Single(app.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("Redis is unreachable"));
            Assert.Contains("per-user rate limit lets updates through", warning.Message);

            // Back (empty, as after a crash without persistence): the limit holds again once the connection is restored.
            await redis.StartAgainAsync();
            var limited = false;
            for (var round = 0; round < 100 && !limited; round++)
            {
                await app.Send(Updates.Text(user, "/echo back"));
                limited = (await StatusesOf(app, user)).Last() == UpdateStatus.RateLimited;
                if (!limited) await Task.Delay(200);
            }
            Assert.True(limited, "the limit did not come back with Redis");
            Assert.Contains(app.Logs.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("Redis answers again"));
        }
        finally { await ((IAsyncLifetime)app).DisposeAsync(); }
    }
}
