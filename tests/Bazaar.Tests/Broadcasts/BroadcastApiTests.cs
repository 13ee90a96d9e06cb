using Bazaar.Server.Channels;
using Bazaar.Server.Data;
using Bazaar.Server.Giveaways;
using Bazaar.Server.Referrals;
using Bazaar.Server.Shop;

namespace Bazaar.Tests.Broadcasts;

public sealed class BroadcastApiTests : IClassFixture<AppFactory>
{
    private readonly AppFactory _app;

    public BroadcastApiTests(AppFactory app) => _app = app;

    private async Task<int> CountAsync(object body)
    {
        var r = await _app.AdminClient().PostJson("/api/v1/admin/broadcasts", body);
        Assert.Equal(200, (int)r.StatusCode);
        var json = await r.ReadJson();
        Assert.True(json.GetProperty("dryRun").GetBoolean());
        return json.GetProperty("recipients").GetInt32();
    }

    [Fact]
    public async Task Dry_run_counts_each_segment_without_sending_anything()
    {
        // Its own language code keeps this test's users apart from the other tests' in the shared database.
        var en = await BroadcastHarness.AddUsersAsync(_app, 3, language: "en");
        var ru = await BroadcastHarness.AddUsersAsync(_app, 2, language: "ru");
        await BroadcastHarness.AddUsersAsync(_app, 1, language: "ru", blocked: true);
        await BroadcastHarness.AddUsersAsync(_app, 1, language: "ru", channel: ChatChannel.WhatsApp);
        var now = _app.Clock.GetUtcNow().UtcDateTime;
        long giveawayId = 0;
        await _app.WithDb(async db =>
        {
            var product = new Product { Name = "Key", Kind = "digital_key" };
            db.Products.Add(product);
            await db.SaveChangesAsync();
            db.Orders.Add(new Order { UserId = en[0].Id, ProductId = product.Id, ProductName = "Key", Kind = "digital_key", ReservationId = -en[0].Id,
                FinalPrice = 100, Currency = "USD", PaidWith = "wallet", CreatedAt = now });
            db.ReferralCommissions.Add(new ReferralCommission { ReferrerId = ru[0].Id, RefereeId = ru[1].Id, PaymentId = 1, SourceRef = $"t:{ru[0].Id}",
                Amount = 150_00, Currency = "USD", CreatedAt = now });
            var g = new Giveaway { Title = "G", Prize = "P", Commitment = "c", SeedHex = "00", CreatedAt = now, StartsAt = now, EndsAt = now.AddDays(1) };
            db.Giveaways.Add(g);
            await db.SaveChangesAsync();
            giveawayId = g.Id;
            db.GiveawayParticipants.Add(new GiveawayParticipant { GiveawayId = g.Id, UserId = en[1].Id, JoinedAt = now });
            db.GiveawayParticipants.Add(new GiveawayParticipant { GiveawayId = g.Id, UserId = ru[1].Id, JoinedAt = now });
            await db.SaveChangesAsync();
        });
        var all = await _app.WithDb(db => Task.FromResult(db.Users.Count(u => !u.IsBlocked && u.Channel == ChatChannel.Telegram)));

        Assert.Equal(all, await CountAsync(new { segment = "all", text = "x", dry_run = true }));
        Assert.Equal(2, await CountAsync(new { segment = "ids", user_ids = new[] { en[2].Id, ru[0].Id, -5L }, text = "x", dry_run = true }));
        Assert.Equal(2, await CountAsync(new { segment = "giveaway", giveaway_id = giveawayId, text = "x", dry_run = true }));
        Assert.Equal(1, await CountAsync(new { segment = "tier", tier = "silver", text = "x", dry_run = true }));
        var purchased = await CountAsync(new { segment = "purchased", text = "x", dry_run = true });
        var never = await CountAsync(new { segment = "never_purchased", text = "x", dry_run = true });
        Assert.True(purchased >= 1);
        Assert.Equal(all, purchased + never);
        Assert.Equal(all - 1, await CountAsync(new { segment = "tier", tier = "bronze", text = "x", dry_run = true }));
        var ruCount = await CountAsync(new { segment = "language", language = "ru", text = "x", dry_run = true });
        Assert.True(ruCount >= 2);
        Assert.Equal(0, await _app.WithDb(db => Task.FromResult(db.Broadcasts.Count())));
    }

    [Theory]
    [InlineData("""{"text":"hi"}""", 400, "segment_required")]
    [InlineData("""{"text":"hi","segment":"everyone"}""", 400, "unknown_segment")]
    [InlineData("""{"text":"hi","segment":"language"}""", 400, "language_required")]
    [InlineData("""{"text":"hi","segment":"tier","tier":"wood"}""", 400, "unknown_tier")]
    [InlineData("""{"text":"hi","segment":"ids","user_ids":[]}""", 400, "ids_required")]
    [InlineData("""{"text":"hi","segment":"giveaway"}""", 400, "giveaway_required")]
    [InlineData("""{"text":"hi","segment":"giveaway","giveaway_id":987654}""", 404, "giveaway_not_found")]
    [InlineData("""{"segment":"all"}""", 400, "text_required")]
    [InlineData("""{"text":"<b>bold","segment":"all"}""", 400, "invalid_html")]
    [InlineData("""{"text":"<div>x</div>","segment":"all"}""", 400, "invalid_html")]
    [InlineData("""{"text":"hi","segment":"all","buttons":[[{"text":"Go","url":"javascript:alert(1)"}]]}""", 400, "invalid_buttons")]
    [InlineData("""{"text":"hi","segment":"all","photo":"ftp://x/y.png"}""", 400, "invalid_photo")]
    [InlineData("""{"text":"hi","segment":"all","admin_user_id":99999999}""", 404, "user_not_found")]
    [InlineData("""{"text":"hi","segment":"ids","user_ids":[-1]}""", 422, "no_recipients")]
    [InlineData("""{"text":"hi","segment":"all","dry_run":"yes"}""", 400, null)]
    public async Task Bad_input_is_a_problem_with_a_code(string body, int status, string? code)
    {
        var r = await _app.AdminClient().PostRaw("/api/v1/admin/broadcasts", body);
        await r.AssertProblem(status, code);
    }

    [Fact]
    public async Task Too_long_a_text_or_caption_is_refused()
    {
        var c = _app.AdminClient();
        await (await c.PostJson("/api/v1/admin/broadcasts", new { text = new string('a', 4097), segment = "all" })).AssertProblem(400, "text_too_long");
        await (await c.PostJson("/api/v1/admin/broadcasts", new { text = new string('a', 1025), photo = "AgADphoto", segment = "all" }))
            .AssertProblem(400, "caption_too_long");
    }

    [Fact]
    public async Task The_api_needs_a_key_and_unknown_ids_are_404()
    {
        await (await _app.CreateClient().GetAsync("/api/v1/admin/broadcasts")).AssertProblem(401);
        await (await _app.AdminClient().GetAsync("/api/v1/admin/broadcasts/424242")).AssertProblem(404, "broadcast_not_found");
        var list = await (await _app.AdminClient().GetAsync("/api/v1/admin/broadcasts")).ReadJson();
        Assert.True(list.GetProperty("items").GetArrayLength() >= 0);
    }
}
