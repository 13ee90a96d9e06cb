using Bazaar.Server.Channels;
using Bazaar.Server.Data;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Data;

/// <summary>The hot path's INSERT, built from the EF model, stores exactly what SaveChanges stores.</summary>
public sealed class RowInsertTests
{
    private static OutboxMessage Sample(DateTime now) => new()
    {
        Channel = ChatChannel.Telegram, ChatId = "-100123", UserId = 42, Method = "sendMessage", Payload = """{"chat_id":-100123,"text":"hi"}""",
        Urgent = true, Status = OutboxStatus.Failed, Attempts = 3, FailingSince = now.AddMinutes(-5), NextAttemptAt = now.AddSeconds(7),
        CreatedAt = now, SentAt = now.AddSeconds(1), LastError = "boom", Result = "{}", LockedBy = "claim", LockedUntil = now.AddMinutes(1),
        Template = "{\"name\":\"t\"}", ExternalId = "wamid.1", DeliveryStatus = "read", DeliveryUpdatedAt = now.AddSeconds(2),
        Lane = OutboxLanes.Broadcast,
    };

    [Fact]
    public async Task A_row_written_by_the_prepared_insert_reads_back_like_one_written_by_SaveChanges()
    {
        await using var h = await OutboxAppHost.StartAsync();
        var now = new DateTime(2026, 12, 7, 10, 11, 12, 345, DateTimeKind.Utc).AddTicks(6780); // PostgreSQL keeps microseconds
        long fast, slow;
        await using (var scope = h.App.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
            await using var tx = await db.Database.BeginTransactionAsync();
            fast = await RowInsert.For<OutboxMessage>(db).InsertAsync(db, Sample(now), CancellationToken.None);
            var viaEf = Sample(now);
            db.Outbox.Add(viaEf);
            await db.SaveChangesAsync();
            slow = viaEf.Id;
            await tx.CommitAsync();
        }
        Assert.True(fast > 0);
        var a = await h.Row(fast);
        var b = await h.Row(slow);
        foreach (var p in typeof(OutboxMessage).GetProperties().Where(p => p.Name != nameof(OutboxMessage.Id)))
            Assert.True(Equals(p.GetValue(a), p.GetValue(b)), $"{p.Name}: '{p.GetValue(a)}' vs '{p.GetValue(b)}'");
        Assert.Equal(DateTimeKind.Utc, a.CreatedAt.Kind);
        Assert.Equal(now, a.CreatedAt);
    }

    [Fact]
    public async Task Rows_written_together_read_back_in_order_like_SaveChanges_nulls_and_all()
    {
        await using var h = await OutboxAppHost.StartAsync();
        var now = new DateTime(2026, 12, 7, 10, 11, 12, 345, DateTimeKind.Utc).AddTicks(6780);
        var rows = new List<OutboxMessage>
        {
            Sample(now),
            new() { Channel = ChatChannel.Sandbox, ChatId = "7", Method = "sendMessage", Payload = "{\"text\":\"two\"}", CreatedAt = now, NextAttemptAt = now },
            Sample(now.AddSeconds(3)),
        };
        rows[2].ChatId = "third";
        var viaEf = new List<OutboxMessage> { Sample(now), new() { Channel = ChatChannel.Sandbox, ChatId = "7", Method = "sendMessage", Payload = "{\"text\":\"two\"}", CreatedAt = now, NextAttemptAt = now } };
        long[] keys;
        await using (var scope = h.App.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
            await using var tx = await db.Database.BeginTransactionAsync();
            keys = await RowInsert.For<OutboxMessage>(db).InsertManyAsync(db, rows, CancellationToken.None);
            db.Outbox.AddRange(viaEf);
            await db.SaveChangesAsync();
            await tx.CommitAsync();
        }
        Assert.Equal(3, keys.Distinct().Count());
        Assert.Equal("third", (await h.Row(keys[2])).ChatId);
        for (var i = 0; i < 2; i++)
        {
            var a = await h.Row(keys[i]);
            var b = await h.Row(viaEf[i].Id);
            foreach (var p in typeof(OutboxMessage).GetProperties().Where(p => p.Name != nameof(OutboxMessage.Id)))
                Assert.True(Equals(p.GetValue(a), p.GetValue(b)), $"row {i} {p.Name}: '{p.GetValue(a)}' vs '{p.GetValue(b)}'");
        }
        // The key sequence moved past the keys drawn, so SaveChanges' rows came after them.
        Assert.True(viaEf.Min(m => m.Id) > keys.Max());
    }

    [Fact]
    public async Task A_context_that_keeps_working_after_its_transaction_leaves_no_statement_on_the_pooled_connection()
    {
        await using var h = await OutboxAppHost.StartAsync();
        var now = new DateTime(2026, 12, 7, 10, 0, 0, DateTimeKind.Utc);
        await using var scope = h.App.Services.CreateAsyncScope();
        await using var otherScope = h.App.Services.CreateAsyncScope();
        // One long-lived context (a broadcast's tick) runs several short transactions with the same hot command:
        // between them its connection goes back to the pool, and another context takes it.
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        var other = otherScope.ServiceProvider.GetRequiredService<BazaarDb>();
        await using (var tx = await db.Database.BeginTransactionAsync())
        {
            await RowInsert.For<OutboxMessage>(db).InsertAsync(db, Sample(now), CancellationToken.None);
            await tx.CommitAsync();
        }
        await other.Database.OpenConnectionAsync();
        // The second transaction is rolled back: its insert must have run in it, on the context's own connection, not on
        // the pooled one the other context holds now (where it would have committed on its own).
        await using (var tx = await db.Database.BeginTransactionAsync())
        {
            await RowInsert.For<OutboxMessage>(db).InsertAsync(db, Sample(now), CancellationToken.None);
            Assert.Equal(1, await other.Outbox.CountAsync());
            await tx.RollbackAsync();
        }
        Assert.Equal(1, await other.Outbox.CountAsync());
        await other.Database.CloseConnectionAsync();
        Assert.Equal(1, await h.App.WithDb(d => d.Outbox.CountAsync()));
    }

    [Fact]
    public async Task Replies_alone_skip_SaveChanges_and_anything_else_is_left_to_it()
    {
        await using var h = await OutboxAppHost.StartAsync();
        await using var scope = h.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        var outbox = scope.ServiceProvider.GetRequiredService<Outbox>();
        await using var tx = await db.Database.BeginTransactionAsync();

        var reply = outbox.SendText(OutboxAppHost.Chat("1001"), "one");
        Assert.True(await outbox.TrySaveRepliesOnlyAsync(CancellationToken.None));
        Assert.True(reply.Id > 0);
        Assert.Empty(db.ChangeTracker.Entries());

        // Anything else in the unit of work: nothing written here, SaveChanges does it all.
        outbox.SendText(OutboxAppHost.Chat("1001"), "two");
        db.Outbox.Attach(await db.Outbox.AsNoTracking().SingleAsync(o => o.Id == reply.Id)).Entity.LastError = "changed";
        Assert.False(await outbox.TrySaveRepliesOnlyAsync(CancellationToken.None));
        Assert.Equal(1, await db.Outbox.CountAsync());
        await db.SaveChangesAsync();
        await tx.CommitAsync();
        Assert.Equal(2, await db.Outbox.CountAsync());
    }
}
