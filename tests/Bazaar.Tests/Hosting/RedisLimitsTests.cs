using Bazaar.Server.Channels;
using Bazaar.Server.Channels.Telegram;
using Bazaar.Server.Channels.WhatsApp;
using Bazaar.Server.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Bazaar.Tests.Hosting;

/// <summary>
/// The Redis store itself, with two stores on two connections standing for two instances, firing at once: a take never
/// hands out a token twice, a pause holds for every taker and is never shortened, a window counts every event once, and
/// every key is under the prefix and expires.
/// </summary>
public sealed class RedisLimitsTests
{
    private static readonly DateTime T0 = new(2026, 11, 28, 12, 0, 0, DateTimeKind.Utc);

    private static RedisLimits Store(RedisServer redis, string prefix) => new(
        Options.Create(new RedisOptions { Connection = redis.Connection, Prefix = prefix }),
        Options.Create(new TelegramOptions()), Options.Create(new WhatsAppOptions()), NullLogger<RedisLimits>.Instance);

    private static OutboxSharedLimits.Want Want(int count, double perSecond = 0.001, double capacity = 100, double giveBack = 0) =>
        new("global", count, giveBack, perSecond, capacity);

    [RedisFact]
    public async Task Takes_from_two_instances_at_once_never_hand_out_more_than_the_bucket_holds()
    {
        await using var redis = await RedisServer.StartAsync();
        using var one = Store(redis, "p1");
        using var two = Store(redis, "p1");
        // 100 tokens, (almost) no refill, 2 x 40 takes of 3 at the same instant: exactly the 100 go out.
        var takes = Enumerable.Range(0, 80).Select(i => Task.Run(() =>
            (i % 2 == 0 ? one : two).TakeAsync([Want(3)], [], 5, T0, CancellationToken.None))).ToList();
        var got = (await Task.WhenAll(takes)).Select(t => Assert.Single(t.Buckets)).ToList();
        Assert.Equal(100, got.Sum(g => g.Taken));
        Assert.Equal(33, got.Count(g => g.Taken == 3));
        Assert.Equal(1, got.Count(g => g.Taken == 1));

        // Refill at the bucket's rate, capped at its capacity; unused tokens given back count too.
        var later = await one.TakeAsync([Want(1000, perSecond: 10)], [], 5, T0.AddSeconds(2.5), CancellationToken.None);
        Assert.Equal(25, later.Buckets[0].Taken);
        var back = await two.TakeAsync([Want(1000, perSecond: 10, giveBack: 4)], [], 5, T0.AddSeconds(2.5), CancellationToken.None);
        Assert.Equal(4, back.Buckets[0].Taken);
        var full = await one.TakeAsync([Want(1000, perSecond: 10)], [], 5, T0.AddHours(1), CancellationToken.None);
        Assert.Equal(100, full.Buckets[0].Taken);
        // Another prefix is another deployment: its bucket is full.
        using var other = Store(redis, "p2");
        Assert.Equal(100, (await other.TakeAsync([Want(1000)], [], 5, T0.AddHours(1), CancellationToken.None)).Buckets[0].Taken);
    }

    [RedisFact]
    public async Task A_pause_holds_every_taker_until_it_ends_and_is_never_shortened()
    {
        await using var redis = await RedisServer.StartAsync();
        using var one = Store(redis, "p");
        using var two = Store(redis, "p");
        await one.PauseAsync("global", T0.AddSeconds(10), T0, CancellationToken.None);
        await two.PauseAsync("global", T0.AddSeconds(3), T0, CancellationToken.None); // a shorter 429 later does not shorten it

        var during = await two.TakeAsync([Want(5)], [], 5, T0.AddSeconds(9.9), CancellationToken.None);
        Assert.Equal(0, during.Buckets[0].Taken);
        Assert.Equal(T0.AddSeconds(10), during.Buckets[0].PausedUntil);
        var after = await two.TakeAsync([Want(5)], [], 5, T0.AddSeconds(10), CancellationToken.None);
        Assert.Equal(5, after.Buckets[0].Taken);
    }

    [RedisFact]
    public async Task A_chats_sends_are_read_back_newest_first_and_trimmed()
    {
        await using var redis = await RedisServer.StartAsync();
        using var one = Store(redis, "p");
        using var two = Store(redis, "p");
        for (var i = 0; i < 8; i++) await (i % 2 == 0 ? one : two).SentAsync("telegram", "42", T0.AddSeconds(i), 5, CancellationToken.None);
        var taken = await one.TakeAsync([Want(1)], [new("telegram", "42", 100), new("telegram", "43", 101)], 5, T0.AddSeconds(9), CancellationToken.None);
        Assert.Equal(Enumerable.Range(3, 5).Reverse().Select(i => T0.AddSeconds(i)), taken.RecentSends[("telegram", "42")]);
        Assert.False(taken.RecentSends.ContainsKey(("telegram", "43")));
    }

    [RedisFact]
    public async Task A_window_counts_every_event_once_across_instances_and_restarts_when_it_ends()
    {
        await using var redis = await RedisServer.StartAsync();
        using var one = Store(redis, "p");
        using var two = Store(redis, "p");
        var now = 1_000_000L;
        var counts = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => Task.Run(() =>
            (i % 2 == 0 ? one : two).CountAsync("telegram", "7", now + i, 60_000, CancellationToken.None))));
        Assert.Equal(Enumerable.Range(1, 60), counts.Select(c => c.Count).Order());
        // One window, started by whichever event came first.
        var start = counts[0].Start;
        Assert.InRange(start, now, now + 59);
        Assert.All(counts, c => Assert.Equal(start, c.Start));
        Assert.Equal((61, start), await two.CountAsync("telegram", "7", start + 59_999, 60_000, CancellationToken.None));
        // The next window opens with the first event a minute after this one's start.
        Assert.Equal((1, start + 60_000), await one.CountAsync("telegram", "7", start + 60_000, 60_000, CancellationToken.None));
    }

    [RedisFact]
    public async Task Every_key_is_under_the_prefix_and_expires()
    {
        await using var redis = await RedisServer.StartAsync();
        using var store = Store(redis, "shop-7");
        Assert.Equal("bazaar:{shop-7}:", store.KeyPrefix);
        await store.TakeAsync([Want(1)], [], 5, T0, CancellationToken.None);
        await store.PauseAsync("global", T0.AddHours(3), T0, CancellationToken.None);
        await store.SentAsync("telegram", "42", T0, 5, CancellationToken.None);
        await store.CountAsync("telegram", "7", 1000, 60_000, CancellationToken.None);

        await using var raw = await ConnectionMultiplexer.ConnectAsync(redis.Connection);
        var keys = raw.GetServer(raw.GetEndPoints()[0]).Keys(pattern: "*").Select(k => (string)k!).Order().ToList();
        Assert.Equal(["bazaar:{shop-7}:outbox:bucket:global", "bazaar:{shop-7}:outbox:chat:telegram:42", "bazaar:{shop-7}:ratelimit:telegram:7"], keys);
        foreach (var k in keys) Assert.True(await raw.GetDatabase().KeyTimeToLiveAsync(k) > TimeSpan.Zero, $"{k} never expires");
        // A long pause keeps its bucket at least as long as the pause.
        Assert.True(await raw.GetDatabase().KeyTimeToLiveAsync(keys[0]) > TimeSpan.FromHours(3));
    }

    [Fact]
    public void The_default_prefix_is_the_bots_public_id()
    {
        Assert.Equal("tg123456", RedisLimits.PrefixOf(new RedisOptions(), new TelegramOptions { BotToken = "123456:secret-part" }, new WhatsAppOptions()));
        Assert.Equal("wa555", RedisLimits.PrefixOf(new RedisOptions(), new TelegramOptions(), new WhatsAppOptions { PhoneNumberId = "555" }));
        Assert.Equal("bazaar", RedisLimits.PrefixOf(new RedisOptions(), new TelegramOptions(), new WhatsAppOptions()));
        Assert.Equal("mine", RedisLimits.PrefixOf(new RedisOptions { Prefix = " mine " }, new TelegramOptions { BotToken = "1:x" }, new WhatsAppOptions()));
    }
}
