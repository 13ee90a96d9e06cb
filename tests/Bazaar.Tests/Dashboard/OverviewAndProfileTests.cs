using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Bazaar.Server.Admin;
using Bazaar.Server.Giveaways;
using Bazaar.Server.Raffles;
using Bazaar.Server.Referrals;
using Bazaar.Server.Shop;
using Bazaar.Tests.Raffles;
using Bazaar.Tests.Shop;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Dashboard;

/// <summary>The overview's per-day series and pending work, and a customer's profile with orders, referrals and giveaways.</summary>
public sealed class OverviewAndProfileTests(DashboardAppFactory app) : IClassFixture<DashboardAppFactory>
{
    private async Task<long> OrderAsync(long userId, long price = 2_00)
    {
        var product = await ShopTestData.ProductAsync(app, 1, price: price);
        await ShopTestData.FundAsync(app, userId, price);
        var reservation = await app.In(sp => sp.GetRequiredService<Reservations>().ReserveAsync(userId, product.Id, default));
        var result = await app.In(sp => sp.GetRequiredService<Purchase>().ConfirmAsync(userId, reservation.Reservation!.Id, default));
        return await app.WithDb(db => db.Orders.Where(o => o.UserId == userId && o.ProductId == product.Id).Select(o => o.Id).SingleAsync());
    }

    private static JsonElement Series(string html, string id)
    {
        var json = Regex.Match(html, "<script type=\"application/json\" id=\"chart-data\">(.*?)</script>", RegexOptions.Singleline).Groups[1].Value;
        var data = JsonDocument.Parse(json.Replace("<\\/", "</")).RootElement;
        return data.GetProperty("series").EnumerateArray().Single(s => s.GetProperty("id").GetString() == id).GetProperty("data");
    }

    [Fact]
    public async Task Orders_per_day_count_each_order_on_the_day_it_was_placed_and_today_is_a_tile()
    {
        var c = await app.SignedIn(OperatorRoles.Support);
        var before = Series(await (await c.GetAsync("/admin")).Content.ReadAsStringAsync(), "orders");
        var buyer = await app.UserAsync("Olive");
        await OrderAsync(buyer.Id);
        var old = await OrderAsync(buyer.Id);
        var threeDaysAgo = app.Clock.GetUtcNow().UtcDateTime.AddDays(-3);
        await app.WithDb(db => db.Orders.Where(o => o.Id == old).ExecuteUpdateAsync(s => s.SetProperty(o => o.CreatedAt, threeDaysAgo)));

        var html = await (await c.GetAsync("/admin")).Content.ReadAsStringAsync();
        var after = Series(html, "orders");
        Assert.Equal(30, after.GetArrayLength());
        Assert.Equal(before[29].GetInt32() + 1, after[29].GetInt32());
        Assert.Equal(before[26].GetInt32() + 1, after[26].GetInt32());
        Assert.Contains("id=\"chart-orders\"", html);
        Assert.Matches($"Orders today</div><div class=\"big\">{after[29].GetInt32()}</div>", html);
    }

    [Fact]
    public async Task Pending_work_counts_raffle_orders_whose_proof_awaits_approval_with_a_link()
    {
        var raffle = await RaffleTestData.ActiveAsync(app, 1, 40, price: 1_00);
        var u = await app.UserAsync("Rita");
        var orders = app.Services.CreateScope().ServiceProvider.GetRequiredService<RaffleOrders>();
        var o = (await orders.ReserveAsync(u.Id, raffle.Id, TicketPick.Exact([7]), default)).Order!;
        var c = await app.SignedIn(OperatorRoles.Support);
        string Count(string html) => Regex.Match(html, "Raffle orders awaiting approval</a> <span class=\"badge badge-\\w+\">(\\d+)</span>").Groups[1].Value;
        var before = int.Parse(Count(await (await c.GetAsync("/admin/overview/pending")).Content.ReadAsStringAsync()));
        // Waiting for the money but with no proof yet: nothing for an operator to approve.
        await app.WithDb(db => db.RaffleOrders.Where(x => x.Id == o.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, RaffleOrderStatus.PendingPayment)));
        Assert.Equal(before, int.Parse(Count(await (await c.GetAsync("/admin/overview/pending")).Content.ReadAsStringAsync())));
        await app.WithDb(db => db.RaffleOrders.Where(x => x.Id == o.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.ProofPath, "proof-" + o.Id + ".jpg")));
        var html = await (await c.GetAsync("/admin/overview/pending")).Content.ReadAsStringAsync();
        Assert.Equal(before + 1, int.Parse(Count(html)));
        Assert.Contains("href=\"/admin/raffles/orders?status=PENDING_PAYMENT\"", html);
    }

    [Fact]
    public async Task A_profile_shows_the_users_orders_referrals_and_giveaways()
    {
        var alice = await app.UserAsync("Alicia");
        var bob = await app.UserAsync("Bobby");
        var carl = await app.UserAsync("Carlo");
        var now = app.Clock.GetUtcNow().UtcDateTime;
        var product = await ShopTestData.ProductAsync(app, 1, price: 4_00, configure: p => p.Name = "Profile key " + alice.Id);
        await ShopTestData.FundAsync(app, alice.Id, 4_00);
        var reservation = await app.In(sp => sp.GetRequiredService<Reservations>().ReserveAsync(alice.Id, product.Id, default));
        await app.In(sp => sp.GetRequiredService<Purchase>().ConfirmAsync(alice.Id, reservation.Reservation!.Id, default));
        var g = GiveawayApi.New(new GiveawayApi.GiveawayRequest("Profile giveaway " + alice.Id, "", "A prize", 1, now.AddMinutes(-5), now.AddDays(1)), now);
        g.Status = GiveawayStatus.Drawn;
        await app.WithDb(async db =>
        {
            db.Referrals.Add(new Referral { RefereeId = bob.Id, ReferrerId = alice.Id, LinkedAt = now, ActivatedAt = now, LinkedBy = "start" });
            db.Referrals.Add(new Referral { RefereeId = alice.Id, ReferrerId = carl.Id, LinkedAt = now, ActivatedAt = now, LinkedBy = "start" });
            db.ReferralCommissions.Add(new ReferralCommission { ReferrerId = alice.Id, RefereeId = bob.Id, PaymentId = 0, SourceRef = "test:" + bob.Id,
                Amount = 1_25, Currency = "USD", CreatedAt = now });
            db.Giveaways.Add(g);
            await db.SaveChangesAsync();
            var p = new GiveawayParticipant { GiveawayId = g.Id, UserId = alice.Id, JoinedAt = now };
            db.GiveawayParticipants.Add(p);
            await db.SaveChangesAsync();
            db.GiveawayWinners.Add(new GiveawayWinner { GiveawayId = g.Id, ParticipantId = p.Id, UserId = alice.Id, Position = 0, SelectedAt = now });
            await db.SaveChangesAsync();
        });

        var c = await app.SignedIn(OperatorRoles.Support);
        var r = await c.GetAsync($"/admin/users/{alice.Id}");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var html = await r.Content.ReadAsStringAsync();
        var orders = html[html.IndexOf("id=\"orders\"", StringComparison.Ordinal)..];
        Assert.Contains("Profile key " + alice.Id, orders);
        Assert.Contains("4.00 USD", orders);
        var referrals = html[html.IndexOf("id=\"referrals\"", StringComparison.Ordinal)..html.IndexOf("id=\"giveaways\"", StringComparison.Ordinal)];
        Assert.Contains($"Code <code>{ReferralCodes.Of(alice.Id)}</code>", referrals);
        Assert.Contains("invited <b>1</b>, active <b>1</b>", referrals);
        Assert.Contains($"href=\"/admin/users/{bob.Id}\"", referrals);
        Assert.Contains("1.25 USD", referrals);
        Assert.Contains($"Invited by <a href=\"/admin/users/{carl.Id}\"", referrals);
        var giveaways = html[html.IndexOf("id=\"giveaways\"", StringComparison.Ordinal)..];
        Assert.Contains("Joined <b>1</b> · won <b>1</b>", giveaways);
        Assert.Contains($"href=\"/admin/giveaways/{g.Id}\"", giveaways);
        Assert.Contains("badge-ok\">WON", giveaways);

        var bobPage = await (await c.GetAsync($"/admin/users/{bob.Id}")).Content.ReadAsStringAsync();
        Assert.Contains("No orders.", bobPage);
        Assert.Contains("No giveaways joined.", bobPage);
        Assert.Contains($"Invited by <a href=\"/admin/users/{alice.Id}\"", bobPage);
    }
}
