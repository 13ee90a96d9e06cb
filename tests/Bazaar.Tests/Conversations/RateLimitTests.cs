using Bazaar.Server.Conversations;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Conversations;

public sealed class RateLimitTests : IAsyncLifetime
{
    // A factory per test: the tests move the clock.
    private readonly BotAppFactory _app = new();
    public Task InitializeAsync() => _app.InitializeAsync();
    public Task DisposeAsync() => ((IAsyncLifetime)_app).DisposeAsync();

    private Task<List<UpdateStatus>> StatusesOf(long user) => _app.WithDb(db => db.InboundUpdates.AsNoTracking()
        .Where(u => u.UserId == user.ToString()).OrderBy(u => u.UpdateId).Select(u => u.Status).ToListAsync());

    [Fact]
    public async Task Over_the_limit_a_user_gets_one_slow_down_reply_per_window_and_updates_are_logged_rate_limited()
    {
        var user = Updates.NewUserId();
        _app.Clock.Advance(TimeSpan.FromSeconds(20)); // the window opens 20 s into a minute; limits are per user window
        for (var i = 1; i <= 13; i++) await _app.Post(Updates.Text(user, $"/echo {i}"));
        await _app.ProcessAll();

        var texts = await _app.TextsFor(user);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => $"echo:{i}").Append("You're going a bit fast. Please slow down and try again in 60 s."), texts);
        var statuses = await StatusesOf(user);
        Assert.Equal(Enumerable.Repeat(UpdateStatus.Processed, 10).Concat(Enumerable.Repeat(UpdateStatus.RateLimited, 3)), statuses);

        // Plain text is not a command: it is not counted or limited.
        await _app.Send(Updates.Text(user, "just chatting"));
        Assert.Equal(UpdateStatus.Processed, (await StatusesOf(user)).Last());

        _app.Clock.Advance(TimeSpan.FromSeconds(30));
        await _app.Send(Updates.Text(user, "/echo still limited"));
        Assert.Equal(UpdateStatus.RateLimited, (await StatusesOf(user)).Last());
        Assert.Equal(12, (await _app.TextsFor(user)).Count); // 10 echoes, one slow-down, one hint for the plain text

        _app.Clock.Advance(TimeSpan.FromSeconds(31));
        await _app.Send(Updates.Text(user, "/echo again"));
        Assert.Equal("echo:again", (await _app.TextsFor(user)).Last());
    }

    [Fact]
    public async Task Admins_are_exempt()
    {
        for (var i = 0; i < 15; i++) await _app.Post(Updates.Text(BotAppFactory.AdminUserId, $"/echo {i}"));
        await _app.ProcessAll();
        Assert.All(await StatusesOf(BotAppFactory.AdminUserId), s => Assert.Equal(UpdateStatus.Processed, s));
        Assert.Equal(15, (await _app.TextsFor(BotAppFactory.AdminUserId)).Count);
    }

    [Fact]
    public async Task The_limit_holds_when_one_users_commands_in_many_chats_are_processed_concurrently()
    {
        var user = Updates.NewUserId();
        var groups = Enumerable.Range(0, 24).Select(_ => -Updates.NewUserId()).ToList();
        await Task.WhenAll(groups.Select(g => Task.Run(() => _app.Post(Updates.Text(user, "/echo x", chatId: g)))));
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => _app.ProcessAll())));

        var statuses = await StatusesOf(user);
        Assert.Equal(10, statuses.Count(s => s == UpdateStatus.Processed));
        Assert.Equal(14, statuses.Count(s => s == UpdateStatus.RateLimited));
        var slowDowns = await _app.WithDb(db => db.Outbox.CountAsync(m => m.Payload.Contains("slow down")));
        Assert.Equal(1, slowDowns);
    }

    [Fact]
    public async Task The_window_survives_a_restart()
    {
        var user = Updates.NewUserId();
        for (var i = 0; i < 10; i++) await _app.Post(Updates.Text(user, "/echo a"));
        await _app.ProcessAll();

        var second = (BotAppFactory)new BotAppFactory().OnDatabase(_app.Database);
        try
        {
            await second.InitializeAsync();
            await second.Send(Updates.Text(user, "/echo b"));
            Assert.Equal(UpdateStatus.RateLimited, (await StatusesOf(user)).Last());
        }
        finally { await ((IAsyncLifetime)second).DisposeAsync(); }
    }
}
