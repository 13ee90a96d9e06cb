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

    private Task<List<string?>> CallbackAnswersFor(long user) => _app.WithDb(db => db.Outbox.AsNoTracking()
        .Where(m => m.ChatId == user.ToString() && m.Method == "answerCallbackQuery").OrderBy(m => m.Id)
        .Select(m => m.Payload).ToListAsync()).ContinueWith(t => t.Result.Select(p =>
            System.Text.Json.Nodes.JsonNode.Parse(p!)!["text"]?.GetValue<string>()).ToList());

    [Fact]
    public async Task Browsing_with_buttons_never_uses_up_the_command_limit()
    {
        var user = Updates.NewUserId();
        // 50 presses in 50 s and 10 commands in the same minute: a normal browse, all handled.
        for (var i = 0; i < 50; i++)
        {
            await _app.Post(Updates.Callback(user, $"test:{i}"));
            if (i % 5 == 0) await _app.Post(Updates.Text(user, $"/echo {i}"));
            await _app.ProcessAll();
            _app.Clock.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.All(await StatusesOf(user), s => Assert.Equal(UpdateStatus.Processed, s));
        Assert.Equal(60, (await StatusesOf(user)).Count);
    }

    [Fact]
    public async Task A_burst_of_button_presses_is_limited_per_second_with_one_slow_down_answer()
    {
        var user = Updates.NewUserId();
        for (var i = 0; i < 8; i++) await _app.Post(Updates.Callback(user, $"test:{i}"));
        await _app.ProcessAll();

        var statuses = await StatusesOf(user);
        Assert.Equal(Enumerable.Repeat(UpdateStatus.Processed, 5).Concat(Enumerable.Repeat(UpdateStatus.RateLimited, 3)), statuses);
        // Every press is answered (or the button spins); the first one over the limit says why.
        var answers = await CallbackAnswersFor(user);
        Assert.Equal(8, answers.Count);
        Assert.Equal(Enumerable.Repeat<string?>("pressed", 5), answers.Take(5));
        Assert.StartsWith("You're going a bit fast", answers[5]);
        Assert.Equal([null, null], answers.Skip(6));

        // A second later presses work again.
        _app.Clock.Advance(TimeSpan.FromSeconds(1));
        await _app.Send(Updates.Callback(user, "test:again"));
        Assert.Equal(UpdateStatus.Processed, (await StatusesOf(user)).Last());
    }

    [Fact]
    public async Task Button_presses_are_also_limited_per_minute()
    {
        var user = Updates.NewUserId();
        _app.Clock.Advance(TimeSpan.FromSeconds(1));
        for (var i = 0; i < 13; i++)
        {
            for (var j = 0; j < 5; j++) await _app.Post(Updates.Callback(user, $"test:{i}.{j}"));
            await _app.ProcessAll();
            _app.Clock.Advance(TimeSpan.FromSeconds(1.5));
        }
        var statuses = await StatusesOf(user);
        Assert.Equal(65, statuses.Count);
        Assert.Equal(60, statuses.Count(s => s == UpdateStatus.Processed));
        Assert.All(statuses.Skip(60), s => Assert.Equal(UpdateStatus.RateLimited, s));
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
    public async Task Two_instances_on_one_database_share_one_limit()
    {
        // Two servers handling updates as they arrive (the production path), a user's commands in many chats spread
        // over both by the load balancer: the window is one row in the shared database, so the limit is cluster-wide.
        BotAppFactory Instance() => (BotAppFactory)new BotAppFactory().OnDatabase(_app.Database).With("Conversations:Processor:Enabled", "true");
        var (a, b) = (Instance(), Instance());
        try
        {
            await Task.WhenAll(a.InitializeAsync(), b.InitializeAsync());
            var user = Updates.NewUserId();
            var groups = Enumerable.Range(0, 24).Select(_ => -Updates.NewUserId()).ToList();
            await Task.WhenAll(groups.Select((g, i) => Task.Run(() => (i % 2 == 0 ? a : b).Post(Updates.Text(user, "/echo x", chatId: g)))));
            for (var i = 0; i < 100 && (await StatusesOf(user)).Any(s => s is UpdateStatus.Received or UpdateStatus.Processing); i++) await Task.Delay(100);

            var statuses = await StatusesOf(user);
            Assert.Equal(24, statuses.Count);
            Assert.Equal(10, statuses.Count(s => s == UpdateStatus.Processed));
            Assert.Equal(14, statuses.Count(s => s == UpdateStatus.RateLimited));
            Assert.Equal(1, await _app.WithDb(db => db.Outbox.CountAsync(m => m.ChatId != null && groups.Select(g => g.ToString()).Contains(m.ChatId) && m.Payload.Contains("slow down"))));
        }
        finally
        {
            await ((IAsyncLifetime)a).DisposeAsync();
            await ((IAsyncLifetime)b).DisposeAsync();
        }
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
