using Bazaar.Server.Conversations;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Conversations;

public sealed class StateAndRestartTests : IAsyncLifetime
{
    private TestDatabase _db = null!;
    public async Task InitializeAsync() => _db = await TestDatabase.CreateAsync();
    public async Task DisposeAsync() => await _db.DisposeAsync();

    private async Task<T> WithServer<T>(Func<BotAppFactory, Task<T>> work, Action<BotAppFactory>? configure = null)
    {
        var app = (BotAppFactory)new BotAppFactory().OnDatabase(_db);
        configure?.Invoke(app);
        try
        {
            await app.InitializeAsync();
            return await work(app);
        }
        finally { await ((IAsyncLifetime)app).DisposeAsync(); }
    }

    [Fact]
    public async Task A_conversation_step_survives_a_restart()
    {
        var user = Updates.NewUserId();
        await WithServer(async app => { await app.Send(Updates.Text(user, "/ask restart")); return 0; });
        var texts = await WithServer(async app =>
        {
            await app.Send(Updates.Text(user, "after the restart"));
            return await app.TextsFor(user);
        });
        Assert.Equal(["What is your answer?", "answer:restart:text:after the restart"], texts);
    }

    [Fact]
    public async Task A_step_expires_after_the_ttl()
    {
        var user = Updates.NewUserId();
        var texts = await WithServer(async app =>
        {
            await app.Send(Updates.Text(user, "/ask late"));
            app.Clock.Advance(TimeSpan.FromMinutes(31));
            await app.Send(Updates.Text(user, "too late"));
            return await app.TextsFor(user);
        }, app => app.With("Conversations:StateTtlMinutes", "30"));
        Assert.Equal(["What is your answer?", "I didn't understand that. Send /help to see what I can do."], texts);
    }

    [Fact]
    public async Task Cancel_clears_the_step()
    {
        var user = Updates.NewUserId();
        var texts = await WithServer(async app =>
        {
            await app.Send(Updates.Text(user, "/ask x"), Updates.Text(user, "/cancel"), Updates.Text(user, "/cancel"));
            return await app.TextsFor(user);
        });
        Assert.Equal(["What is your answer?", "Cancelled.", "There is nothing to cancel."], texts);
    }

    [Fact]
    public async Task Updates_accepted_before_a_restart_are_processed_after_it_by_the_background_processor()
    {
        var user = Updates.NewUserId();
        var update = Updates.Text(user, "/echo survived");
        var id = update["update_id"]!.GetValue<int>();
        // First run: accepted and durably stored, but the process "dies" before handling it.
        await WithServer(async app => { await app.Post(update); return 0; });

        var (status, texts) = await WithServer(async app =>
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            InboundUpdate row;
            while ((row = await app.Inbound(id)).Status == UpdateStatus.Received && DateTime.UtcNow < deadline)
                await app.Processor.NextBatchAsync().WaitAsync(TimeSpan.FromSeconds(1)).ContinueWith(_ => { });
            return (row.Status, await app.TextsFor(user));
        }, app => app.With("Conversations:Processor:Enabled", "true"));
        Assert.Equal(UpdateStatus.Processed, status);
        Assert.Equal(["echo:survived"], texts);
    }

    [Fact]
    public async Task An_update_a_stopped_process_had_claimed_but_not_finished_is_handled_once_after_the_restart()
    {
        var user = Updates.NewUserId();
        var update = Updates.Text(user, "/echo half-done");
        var id = update["update_id"]!.GetValue<int>();
        // As if the process died inside the handler's transaction: claimed, nothing committed.
        await WithServer(async app =>
        {
            await app.Post(update);
            await app.WithDb(db => db.InboundUpdates.Where(u => u.UpdateId == id)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.Status, UpdateStatus.Processing)
                    .SetProperty(u => u.LeaseUntil, app.Clock.GetUtcNow().UtcDateTime.AddSeconds(60))));
            Assert.Equal(0, await app.ProcessAll()); // a live claim is not claimed twice
            return 0;
        });
        var (status, texts) = await WithServer(async app =>
        {
            Assert.Equal(0, await app.ProcessAll()); // the lease still holds: it may be another process's
            app.Clock.Advance(TimeSpan.FromSeconds(61));
            await app.ProcessAll();
            return ((await app.Inbound(id)).Status, await app.TextsFor(user));
        });
        Assert.Equal(UpdateStatus.Processed, status);
        Assert.Equal(["echo:half-done"], texts);
    }

    [Fact]
    public async Task Clean_up_removes_finished_updates_past_the_retention_and_keeps_the_rest()
    {
        var user = Updates.NewUserId();
        var (before, after, left) = await WithServer(async app =>
        {
            await app.Send(Updates.Text(user, "/echo old"));
            app.Clock.Advance(TimeSpan.FromDays(8));
            await app.Post(Updates.Text(user, "/echo waiting"));
            await using var scope = app.Services.CreateAsyncScope();
            var log = scope.ServiceProvider.GetRequiredService<EventLog>();
            var count = () => app.WithDb(db => db.InboundUpdates.CountAsync(u => u.UserId == user.ToString()));
            var b = await count();
            await log.DeleteOldUpdatesAsync(default);
            var a = await count();
            var l = await app.WithDb(db => db.InboundUpdates.Where(u => u.UserId == user.ToString()).Select(u => u.Status).SingleAsync());
            return (b, a, l);
        }, app => app.With("Conversations:EventLogRetentionDays", "7"));
        Assert.Equal(2, before);
        Assert.Equal(1, after);
        Assert.Equal(UpdateStatus.Received, left);
    }
}
