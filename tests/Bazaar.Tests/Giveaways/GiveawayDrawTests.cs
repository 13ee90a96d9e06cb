using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bazaar.Server.Channels;
using Bazaar.Server.Giveaways;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Giveaways;

/// <summary>The draw on the server: verifiable, re-rolls, winner notices and delivery, the paced post.</summary>
public sealed class GiveawayDrawTests : IAsyncLifetime
{
    private readonly GiveawayAppFactory app = new();
    public Task InitializeAsync() => app.InitializeAsync();
    public async Task DisposeAsync() => await ((IAsyncLifetime)app).DisposeAsync();

    private async Task<List<long>> Join(Giveaway g, int n)
    {
        var users = new List<long>();
        for (var i = 0; i < n; i++)
        {
            var tg = await app.HumanUser();
            await app.Send(Updates.Text(tg, $"/start gw_{g.Id}"));
            users.Add(tg);
        }
        await app.RunJobs();
        return users;
    }

    private async Task<PublishedDraw> DrawData(long id)
    {
        var r = await app.CreateClient().GetAsync($"/api/v1/giveaways/{id}/draw"); // public, no key
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return JsonSerializer.Deserialize<PublishedDraw>(await r.Content.ReadAsStringAsync(), DrawVerifier.Json)!;
    }

    [Fact]
    public async Task The_published_draw_recomputes_to_the_winners_and_verify_draw_says_OK()
    {
        var g = await app.CreateGiveaway(x => x.WinnerCount = 3);
        await Join(g, 8);
        var before = await DrawData(g.Id);
        Assert.Null(before.Seed); // committed, not revealed
        Assert.Equal(g.Commitment, before.Commitment);

        var drawn = await app.Api(HttpMethod.Post, $"/api/v1/giveaways/{g.Id}/draw");
        Assert.Equal(HttpStatusCode.OK, drawn.StatusCode);
        var d = await DrawData(g.Id);
        Assert.Equal(3, d.Winners.Count);
        Assert.Equal(8, d.ParticipantCount);
        Assert.Empty(DrawVerifier.Verify(d));
        var participants = (await app.Participants(g.Id)).Select(p => p.Id).Order().ToList();
        Assert.Equal(participants, d.EligibleIds);
        // Same inputs, same winners: the pure draw over the stored seed agrees with the server.
        Assert.Equal(d.Winners, FairDraw.Draw(new DrawInput(FairDraw.GiveawayDomain, g.Id, Convert.FromHexString(g.SeedHex), null, participants), 3).Winners);

        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, await (await app.CreateClient().GetAsync($"/api/v1/giveaways/{g.Id}/draw")).Content.ReadAsStringAsync());
            var output = new StringWriter();
            Assert.Equal(0, await VerifyDrawCommand.RunAsync([file], output));
            Assert.StartsWith("OK", output.ToString());
        }
        finally { File.Delete(file); }

        // The audit, the winners' records, a second draw changes nothing.
        var audit = await app.WithDb(db => db.WinnerDraws.AsNoTracking().SingleAsync(x => x.GiveawayId == g.Id));
        Assert.Equal((3, 3, 8, FairDraw.Method), (audit.RequestedCount, audit.SelectedCount, audit.ParticipantCount, audit.Method));
        Assert.Equal(HttpStatusCode.OK, (await app.Api(HttpMethod.Post, $"/api/v1/giveaways/{g.Id}/draw")).StatusCode);
        Assert.Equal(3, await app.WithDb(db => db.GiveawayWinners.CountAsync(w => w.GiveawayId == g.Id)));
        Assert.Equal(3, await app.WithDb(db => db.GiveawayUserRecords.SumAsync(r => r.TotalWins)));
    }

    [Fact]
    public async Task A_winner_who_left_a_required_channel_is_replaced_by_a_reroll_recorded_in_the_audit()
    {
        var g = await app.CreateGiveaway(x => x.WinnerCount = 2, "@news");
        var users = await Join(g, 6);
        var participants = await app.Participants(g.Id);
        var shuffle = FairDraw.Draw(new DrawInput(FairDraw.GiveawayDomain, g.Id, Convert.FromHexString(g.SeedHex), null,
            participants.Select(p => p.Id).ToList()), 6).Winners;
        // The first one the draw picks has left the channel since joining.
        var leaverUserId = participants.Single(p => p.Id == shuffle[0]).UserId;
        var leaverTg = long.Parse(await app.WithDb(db => db.Users.Where(u => u.Id == leaverUserId).Select(u => u.ExternalId).SingleAsync()));
        app.Members(uid => uid == leaverTg ? "left" : "member");

        Assert.Equal(HttpStatusCode.OK, (await app.Api(HttpMethod.Post, $"/api/v1/giveaways/{g.Id}/draw")).StatusCode);
        var d = await DrawData(g.Id);
        Assert.Equal([shuffle[1], shuffle[2]], d.Winners);
        var reRoll = Assert.Single(d.ReRolls);
        Assert.Equal((0, shuffle[0]), (reRoll.Position, reRoll.ParticipantId));
        Assert.Contains("left @news", reRoll.Reason);
        Assert.Empty(DrawVerifier.Verify(d));
        Assert.Contains("re-roll", string.Join("", await Verify(d)));
        Assert.DoesNotContain(await app.WithDb(db => db.GiveawayWinners.Select(w => w.UserId).ToListAsync()), u => u == leaverUserId);
    }

    private static async Task<string> Verify(PublishedDraw d)
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(d, DrawVerifier.Json));
        var output = new StringWriter();
        await VerifyDrawCommand.RunAsync([file], output);
        File.Delete(file);
        return output.ToString();
    }

    [Fact]
    public async Task Winners_are_notified_through_the_outbox_and_a_blocked_winner_is_marked()
    {
        var g = await app.CreateGiveaway(x => { x.WinnerCount = 2; x.NotifyNonWinners = true; });
        var users = await Join(g, 4);
        await app.SendOutbox();
        Assert.Equal(HttpStatusCode.OK, (await app.Api(HttpMethod.Post, $"/api/v1/giveaways/{g.Id}/draw")).StatusCode);
        var winners = await app.WithDb(db => (from w in db.GiveawayWinners join u in db.Users on w.UserId equals u.Id
                                               where w.GiveawayId == g.Id orderby w.Position select u.ExternalId).ToListAsync());
        app.Bot.FailNextFor(winners[1], 403, "Forbidden: bot was blocked by the user");
        await app.SendOutbox();

        var view = await app.Api(HttpMethod.Get, $"/api/v1/giveaways/{g.Id}/winners");
        var list = JsonNode.Parse(await view.Content.ReadAsStringAsync())!.AsArray();
        Assert.Equal("Delivered", list[0]!["delivery"]!.GetValue<string>());
        Assert.Equal("Blocked", list[1]!["delivery"]!.GetValue<string>());
        Assert.Contains("blocked", list[1]!["deliveryError"]!.GetValue<string>());

        Assert.Contains("Congratulations", await app.LastText(long.Parse(winners[0])));
        foreach (var loser in users.Where(u => !winners.Contains(u.ToString())))
        {
            Assert.Contains("did not win", await app.LastText(loser));
            await app.Send(Updates.Text(loser, "/didiwin"));
            Assert.Contains("not this time", await app.LastText(loser));
        }
        await app.Send(Updates.Text(long.Parse(winners[0]), "/didiwin"));
        Assert.Contains("you won", await app.LastText(long.Parse(winners[0])));
    }

    [Fact]
    public async Task Post_edits_are_paced_to_one_per_PostEditSeconds_and_the_end_shows_the_results()
    {
        var g = await app.CreateGiveaway(x => x.WinnerCount = 1);
        app.Members((chat, uid) => uid == GiveawayAppFactory.BotId ? "administrator" : "member");
        Assert.Equal(HttpStatusCode.OK, (await app.Api(HttpMethod.Post, $"/api/v1/giveaways/{g.Id}/publish", new { chatId = "-100500" })).StatusCode);
        await app.SendOutbox(2);
        var posts = app.Services.GetRequiredService<IServiceScopeFactory>();
        async Task<int> Refresh()
        {
            await using var scope = posts.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<GiveawayPosts>().RefreshCountsAsync(CancellationToken.None);
        }
        Task<int> EditRows() => app.WithDb(db => db.Outbox.CountAsync(m => m.ChatId == "-100500" && m.Method == "editMessageText"));

        await Join(g, 3);
        Assert.Equal(0, await Refresh()); // published just now: not yet
        Assert.Equal(0, await EditRows());
        app.Clock.Advance(TimeSpan.FromSeconds(30));
        await Join(g, 2);
        Assert.Equal(1, await Refresh());   // one edit for five joins
        await Join(g, 2);
        Assert.Equal(0, await Refresh());   // within 30 s of the last edit
        app.Clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(0, await Refresh());
        app.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await Refresh());
        Assert.Equal(0, await Refresh());  // nothing new
        var edits = await app.WithDb(db => db.Outbox.AsNoTracking().Where(m => m.ChatId == "-100500" && m.Method == "editMessageText").OrderBy(m => m.Id).ToListAsync());
        Assert.Equal(2, edits.Count);
        Assert.Contains("Participants: 7", JsonNode.Parse(edits[1].Payload)!["text"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.OK, (await app.Api(HttpMethod.Post, $"/api/v1/giveaways/{g.Id}/draw")).StatusCode);
        var last = await app.WithDb(db => db.Outbox.AsNoTracking().Where(m => m.ChatId == "-100500").OrderBy(m => m.Id).LastAsync());
        var text = JsonNode.Parse(last.Payload)!["text"]!.GetValue<string>();
        Assert.Contains("has ended", text);
        Assert.Contains($"/api/v1/giveaways/{g.Id}/draw", text);
    }

    [Fact]
    public async Task The_due_job_draws_a_giveaway_at_its_end_time()
    {
        var scheduled = new GiveawayAppFactory();
        scheduled.With("Giveaways:Schedules", "true");
        await scheduled.InitializeAsync();
        try { await DrawsAtEnd(scheduled); }
        finally { await ((IAsyncLifetime)scheduled).DisposeAsync(); }
    }

    private static async Task DrawsAtEnd(GiveawayAppFactory app)
    {
        var g = await app.CreateGiveaway(x => x.WinnerCount = 1);
        for (var n = 0; n < 2; n++)
        {
            var tg = await app.HumanUser();
            await app.Send(Updates.Text(tg, $"/start gw_{g.Id}"));
        }
        var scheduler = app.Services.GetRequiredService<Bazaar.Server.Jobs.JobScheduler>();
        await scheduler.RunOnceAsync(CancellationToken.None); // registers the schedules
        app.Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));
        await scheduler.RunOnceAsync(CancellationToken.None);
        await app.RunJobs();
        await app.RunJobs();
        Assert.Equal(GiveawayStatus.Drawn, await app.WithDb(db => db.Giveaways.Where(x => x.Id == g.Id).Select(x => x.Status).SingleAsync()));
        var r = await app.CreateClient().GetAsync($"/api/v1/giveaways/{g.Id}/draw");
        Assert.Empty(DrawVerifier.Verify(JsonSerializer.Deserialize<PublishedDraw>(await r.Content.ReadAsStringAsync(), DrawVerifier.Json)!));
    }
}

/// <summary>The operators' giveaway CRUD and publish.</summary>
public sealed class GiveawayApiTests : IAsyncLifetime
{
    private readonly GiveawayAppFactory app = new();
    public Task InitializeAsync() => app.InitializeAsync();
    public async Task DisposeAsync() => await ((IAsyncLifetime)app).DisposeAsync();

    private object Request(string title = "Summer", int winners = 2, string? beacon = null) => new
    {
        title, description = "d", prize = "A bike", winnerCount = winners,
        startsAt = app.Clock.GetUtcNow().UtcDateTime, endsAt = app.Clock.GetUtcNow().UtcDateTime.AddDays(1),
        requiredChannels = new[] { new { chatId = "@news", title = "News", link = "https://t.me/news" } }, beaconSource = beacon,
    };

    /// <summary>getChatMember answers for the bot: administrator in the chats given, creator in "-100555", a member elsewhere.</summary>
    private void BotAdminIn(params string[] chats) =>
        app.Members((chat, uid) => uid != GiveawayAppFactory.BotId ? "member" : chats.Contains(chat) ? "administrator" : chat == "-100555" ? "creator" : "member");

    private object WithChannels(params string[] chats) => new
    {
        title = "Channels", prize = "A kite", winnerCount = 1,
        startsAt = app.Clock.GetUtcNow().UtcDateTime, endsAt = app.Clock.GetUtcNow().UtcDateTime.AddDays(1),
        requiredChannels = chats.Select(c => new { chatId = c, title = "Title of " + c }).ToArray(),
    };

    [Fact]
    public async Task Create_and_update_refuse_channels_where_the_bot_is_not_an_admin_and_a_Bot_API_outage_is_a_503()
    {
        BotAdminIn("@news");
        app.Bot.FailNextFor("@gone", 400, "Bad Request: chat not found");
        var refused = await app.Api(HttpMethod.Post, "/api/v1/giveaways", WithChannels("@news", "@other", "@gone", "-100555"));
        Assert.Equal((HttpStatusCode)422, refused.StatusCode);
        var problem = await GiveawayAppFactory.Json(refused);
        Assert.Equal("bot_not_admin", problem["code"]!.GetValue<string>());
        Assert.Equal("The bot is not an admin in: @other, @gone. Add it there as an administrator, then try again.", problem["detail"]!.GetValue<string>());
        var channels = problem["channels"]!.AsArray();
        Assert.Equal(["@other", "@gone"], channels.Select(c => c!["chatId"]!.GetValue<string>()));
        Assert.Equal(["member", "not_found"], channels.Select(c => c!["status"]!.GetValue<string>()));
        Assert.Equal("Title of @other", channels[0]!["title"]!.GetValue<string>());
        Assert.Equal(0, await app.WithDb(db => db.Giveaways.CountAsync()));
        var asked = app.Bot.CallsOf("getChatMember").ToList();
        Assert.Equal(4, asked.Count);
        Assert.All(asked, c => Assert.Equal(GiveawayAppFactory.BotId.ToString(), c.Str("user_id")));

        var created = await app.Api(HttpMethod.Post, "/api/v1/giveaways", WithChannels("@news", "-100555"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await GiveawayAppFactory.Json(created))["id"]!.GetValue<long>();

        var update = await app.Api(HttpMethod.Put, $"/api/v1/giveaways/{id}", WithChannels("@news", "@other"));
        Assert.Equal((HttpStatusCode)422, update.StatusCode);
        Assert.Equal("bot_not_admin", (await GiveawayAppFactory.Json(update))["code"]!.GetValue<string>());
        var kept = await app.WithDb(db => db.GiveawayChannels.AsNoTracking().Where(c => c.GiveawayId == id).Select(c => c.ChatId).OrderBy(c => c).ToListAsync());
        Assert.Equal(["-100555", "@news"], kept);

        // Telegram down or failing: 503 with a code, nothing changed; never a 500.
        app.Bot.FailEverything(502, "Bad Gateway");
        var down = await app.Api(HttpMethod.Post, "/api/v1/giveaways", WithChannels("@news"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Equal("telegram_unavailable", (await GiveawayAppFactory.Json(down))["code"]!.GetValue<string>());
        var downPut = await app.Api(HttpMethod.Put, $"/api/v1/giveaways/{id}", WithChannels("@news"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, downPut.StatusCode);
        app.Bot.Recover();
        app.Bot.FailNext("getChatMember", 500, "Internal Server Error");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await app.Api(HttpMethod.Post, "/api/v1/giveaways", WithChannels("@news"))).StatusCode);
        Assert.Equal(1, await app.WithDb(db => db.Giveaways.CountAsync()));

        // Without required channels nothing is asked.
        app.Bot.Clear();
        Assert.Equal(HttpStatusCode.Created, (await app.Api(HttpMethod.Post, "/api/v1/giveaways", WithChannels())).StatusCode);
        Assert.Empty(app.Bot.CallsOf("getChatMember"));
        var updated = await app.Api(HttpMethod.Put, $"/api/v1/giveaways/{id}", WithChannels("-100555"));
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
    }

    [Fact]
    public async Task Create_read_update_publish_and_delete_with_clear_problems_for_bad_input()
    {
        BotAdminIn("@news");
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().GetAsync("/api/v1/giveaways")).StatusCode);
        var created = await app.Api(HttpMethod.Post, "/api/v1/giveaways", Request());
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var g = await GiveawayAppFactory.Json(created);
        var id = g["id"]!.GetValue<long>();
        Assert.Equal("Draft", g["status"]!.GetValue<string>());
        Assert.Equal(64, g["commitment"]!.GetValue<string>().Length);
        Assert.Null(g["seedHex"]); // the seed stays secret
        Assert.Equal(HttpStatusCode.NotFound, (await app.CreateClient().GetAsync($"/api/v1/giveaways/{id}/draw")).StatusCode); // drafts are not public

        Assert.Equal(HttpStatusCode.BadRequest, (await app.Api(HttpMethod.Post, "/api/v1/giveaways", Request(title: ""))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Api(HttpMethod.Post, "/api/v1/giveaways", Request(winners: 0))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Api(HttpMethod.Post, "/api/v1/giveaways", Request(beacon: "moon:phase"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Api(HttpMethod.Post, "/api/v1/giveaways", "{\"title\":")).StatusCode);

        var updated = await app.Api(HttpMethod.Put, $"/api/v1/giveaways/{id}", Request(title: "Winter", beacon: "bitcoin:block:900000"));
        Assert.Equal("Winter", (await GiveawayAppFactory.Json(updated))["title"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await app.Api(HttpMethod.Get, "/api/v1/giveaways/999999")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Api(HttpMethod.Post, $"/api/v1/giveaways/{id}/publish", new { chatId = "" })).StatusCode);
        // The bot must be allowed to post there: a member, or an administrator without can_post_messages, is refused.
        app.Members((chat, uid) => uid != GiveawayAppFactory.BotId ? "member" : chat switch
        {
            "@news" or "-100900" => "administrator", "-100901" => "administrator_no_post", _ => "member",
        });
        foreach (var (chat, status) in new[] { ("-100901", "administrator"), ("-100902", "member") })
        {
            var cannot = await app.Api(HttpMethod.Post, $"/api/v1/giveaways/{id}/publish", new { chatId = chat });
            Assert.Equal((HttpStatusCode)422, cannot.StatusCode);
            var p = await GiveawayAppFactory.Json(cannot);
            Assert.Equal("bot_cannot_post", p["code"]!.GetValue<string>());
            Assert.Contains($"cannot post in {chat} ({status})", p["detail"]!.GetValue<string>());
        }
        app.Bot.FailNext("getChatMember", 502, "Bad Gateway");
        var down = await app.Api(HttpMethod.Post, $"/api/v1/giveaways/{id}/publish", new { chatId = "-100900" });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Equal("telegram_unavailable", (await GiveawayAppFactory.Json(down))["code"]!.GetValue<string>());
        Assert.Equal("Draft", (await GiveawayAppFactory.Json(await app.Api(HttpMethod.Get, $"/api/v1/giveaways/{id}")))["status"]!.GetValue<string>());
        Assert.Equal(0, await app.WithDb(db => db.Outbox.CountAsync(m => m.ChatId.StartsWith("-10090"))));
        var published = await app.Api(HttpMethod.Post, $"/api/v1/giveaways/{id}/publish", new { chatId = "-100900" });
        Assert.Equal("Published", (await GiveawayAppFactory.Json(published))["status"]!.GetValue<string>());
        var post = await app.WithDb(db => db.Outbox.AsNoTracking().SingleAsync(m => m.ChatId == "-100900"));
        Assert.Contains(g["commitment"]!.GetValue<string>(), post.Payload);
        Assert.Contains(GiveawayBot.JoinPrefix + id, post.Payload);

        var list = await GiveawayAppFactory.Json(await app.Api(HttpMethod.Get, "/api/v1/giveaways"));
        Assert.Equal(1, list["total"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Api(HttpMethod.Post, $"/api/v1/giveaways/{id}/draw")).StatusCode); // nobody joined
        Assert.Equal(HttpStatusCode.NoContent, (await app.Api(HttpMethod.Delete, $"/api/v1/giveaways/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Api(HttpMethod.Get, $"/api/v1/giveaways/{id}")).StatusCode);
    }
}

/// <summary>A Bitcoin block hash as the beacon, and concurrent draws.</summary>
public sealed class GiveawayBeaconTests : IAsyncLifetime
{
    private readonly GiveawayAppFactory app = new();
    private Bazaar.Tests.Fakes.FakeChainApis chain = null!;

    public async Task InitializeAsync()
    {
        chain = await Bazaar.Tests.Fakes.FakeChainApis.StartAsync();
        app.With("Payments:Crypto:Btc:ExplorerUrl", chain.EsploraUrl("btc"));
        await app.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)app).DisposeAsync();
        await chain.DisposeAsync();
    }

    private async Task JoinSome(Giveaway g, int n)
    {
        for (var i = 0; i < n; i++)
        {
            var tg = await app.HumanUser();
            await app.Send(Updates.Text(tg, $"/start gw_{g.Id}"));
        }
    }

    [Fact]
    public async Task The_draw_waits_for_the_named_bitcoin_block_and_mixes_its_hash_in()
    {
        chain.SetTip("btc", 900_000);
        var g = await app.CreateGiveaway(x => { x.WinnerCount = 2; x.BeaconSource = "bitcoin:block:900003"; });
        await JoinSome(g, 5);
        var early = await app.Api(HttpMethod.Post, $"/api/v1/giveaways/{g.Id}/draw");
        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        Assert.Contains("beacon_not_ready", await early.Content.ReadAsStringAsync());

        chain.SetTip("btc", 900_010);
        Assert.Equal(HttpStatusCode.OK, (await app.Api(HttpMethod.Post, $"/api/v1/giveaways/{g.Id}/draw")).StatusCode);
        var d = JsonSerializer.Deserialize<PublishedDraw>(await (await app.CreateClient().GetAsync($"/api/v1/giveaways/{g.Id}/draw")).Content.ReadAsStringAsync(), DrawVerifier.Json)!;
        Assert.Equal(Bazaar.Tests.Fakes.FakeChainApis.BlockHash("btc", 900_003), d.Beacon);
        Assert.Equal("bitcoin:block:900003", d.BeaconSource);
        Assert.Empty(DrawVerifier.Verify(d));
        // The block hash is in the key of the random stream, so without it the stream differs. (Replaying without it and
        // comparing winners cannot show this: two of five can come out the same by chance, one time in ten.)
        var input = new DrawInput(d.Domain, d.DrawId, Convert.FromHexString(d.Seed!), d.Beacon, FairDraw.Sorted(d.EligibleIds));
        var listHash = FairDraw.ParticipantListHash(FairDraw.Sorted(d.EligibleIds));
        Assert.NotEqual(FairDraw.StreamKey(input, listHash), FairDraw.StreamKey(input with { Beacon = null }, listHash));
    }

    [Fact]
    public async Task Concurrent_draws_store_one_draw_and_one_set_of_winners()
    {
        var g = await app.CreateGiveaway(x => x.WinnerCount = 2);
        await JoinSome(g, 6);
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
        {
            await using var scope = app.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<WinnerDrawing>().DrawAsync(g.Id, null, CancellationToken.None);
        })));
        Assert.Single(results, r => r.Kind == DrawOutcomeKind.Drawn);
        Assert.Equal(1, await app.WithDb(db => db.WinnerDraws.CountAsync(d => d.GiveawayId == g.Id)));
        Assert.Equal(2, await app.WithDb(db => db.GiveawayWinners.CountAsync(w => w.GiveawayId == g.Id)));
        Assert.Equal(2, await app.WithDb(db => db.GiveawayUserRecords.SumAsync(r => r.TotalWins)));
        Assert.Equal(2, await app.WithDb(db => db.Outbox.CountAsync(m => m.Payload.Contains("Congratulations"))));
    }
}
