using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bazaar.Server.Data;
using Bazaar.Server.Payments;
using Bazaar.Server.Shop;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Shop;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.MiniApp;

public sealed class MiniAppApiTests(MiniAppAppFactory app) : IClassFixture<MiniAppAppFactory>
{
    /// <summary>Telegram's successful_payment for a Stars invoice, with its own charge id.</summary>
    public static JsonObject Paid(long tg, long paymentId, long stars, string charge)
    {
        var u = Updates.SuccessfulPayment(tg, StarsPayments.PayloadFor(paymentId));
        var sp = u["message"]!["successful_payment"]!;
        sp["total_amount"] = stars;
        sp["telegram_payment_charge_id"] = charge;
        return u;
    }

    [Fact]
    public async Task Missing_tampered_and_expired_initData_get_401_problems_with_their_codes()
    {
        var c = app.CreateClient();
        await (await c.GetAsync("/api/v1/app/me")).AssertProblem(401, "init_data_missing");

        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AppFactory.ApiKey); // an admin key is not initData
        await (await c.GetAsync("/api/v1/app/me")).AssertProblem(401, "init_data_missing");

        var fields = TestInitData.Fields(Updates.NewUserId(), app.Clock.GetUtcNow());
        var hash = TestInitData.HashOf(fields, TestInitData.BotToken);
        fields[1] = ("user", TestInitData.UserJson(Updates.NewUserId()));
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("tma", TestInitData.Encode(fields.Append(("hash", hash))));
        await (await c.GetAsync("/api/v1/app/me")).AssertProblem(401, "init_data_tampered");

        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("tma",
            TestInitData.For(Updates.NewUserId(), app.Clock.GetUtcNow().AddSeconds(-3601)));
        await (await c.GetAsync("/api/v1/app/me")).AssertProblem(401, "init_data_expired");

        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("tma",
            TestInitData.Signed(TestInitData.Fields(Updates.NewUserId(), app.Clock.GetUtcNow()), "999:another-bot"));
        await (await c.GetAsync("/api/v1/app/products")).AssertProblem(401, "init_data_tampered");
    }

    [Fact]
    public async Task Me_answers_the_signed_user_with_balances_and_referral_link()
    {
        var tg = Updates.NewUserId();
        var me = await (await app.As(tg, "Ivan", "ru").GetAsync("/api/v1/app/me")).ReadJson();
        Assert.Equal(tg, me.GetProperty("telegramId").GetInt64());
        Assert.Equal("Ivan", me.GetProperty("name").GetString());
        Assert.Equal("ru", me.GetProperty("language").GetString());
        Assert.Equal(0, me.GetProperty("balances").GetArrayLength());
        var user = await app.UserOf(tg);
        Assert.Equal(user.Id, me.GetProperty("userId").GetInt64());
        Assert.Equal($"https://t.me/bazaar_test_bot?start=ref_{Bazaar.Server.Referrals.ReferralCodes.Of(user.Id)}", me.GetProperty("referralLink").GetString());

        await ShopTestData.FundAsync(app, user.Id, 12_34);
        me = await (await app.As(tg, "Ivan", "ru").GetAsync("/api/v1/app/me")).ReadJson();
        var usd = me.GetProperty("balances")[0];
        Assert.Equal("USD", usd.GetProperty("currency").GetString());
        Assert.Equal(12_34, usd.GetProperty("amountMinor").GetInt64());
    }

    [Fact]
    public async Task Catalog_filters_by_city_district_category_and_search_and_shows_discount_prices()
    {
        var (city, district, category) = await app.WithDb(async db =>
        {
            var c = new Location { Name = "City " + Guid.NewGuid().ToString("N")[..6] };
            db.ShopLocations.Add(c);
            await db.SaveChangesAsync();
            var d = new Location { Name = "District", ParentId = c.Id };
            var cat = new Category { Name = "Cat " + Guid.NewGuid().ToString("N")[..6] };
            db.ShopLocations.Add(d);
            db.ShopCategories.Add(cat);
            await db.SaveChangesAsync();
            return (c.Id, d.Id, cat.Id);
        });
        var inDistrict = await ShopTestData.ProductAsync(app, 2, price: 20_00, discount: 25, location: district, category: category,
            configure: p => p.Name = "Blue lamp " + Guid.NewGuid().ToString("N")[..4]);
        var inCity = await ShopTestData.ProductAsync(app, 1, location: city);
        var client = app.As(Updates.NewUserId());

        async Task<List<long>> Ids(string q) =>
            (await (await client.GetAsync("/api/v1/app/products?" + q)).ReadJson()).GetProperty("items").EnumerateArray()
                .Select(p => p.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(new[] { inCity.Id, inDistrict.Id }.Order(), (await Ids($"city={city}")).Order());
        Assert.Equal([inDistrict.Id], await Ids($"district={district}"));
        Assert.Equal([inDistrict.Id], await Ids($"category={category}"));
        Assert.Equal([inDistrict.Id], await Ids($"city={city}&search=blue lamp"));

        var card = await (await client.GetAsync($"/api/v1/app/products/{inDistrict.Id}")).ReadJson();
        var price = card.GetProperty("price");
        Assert.Equal(20_00, price.GetProperty("baseMinor").GetInt64());
        Assert.Equal(15_00, price.GetProperty("finalMinor").GetInt64());
        Assert.Equal(25, price.GetProperty("discountPercent").GetInt32());
        Assert.Equal(2, card.GetProperty("stock").GetInt32());
    }

    [Fact]
    public async Task Reserve_then_confirm_from_the_wallet_makes_the_order_with_its_delivery_and_the_new_balance()
    {
        var tg = Updates.NewUserId();
        var client = app.As(tg);
        await client.GetAsync("/api/v1/app/me");
        var user = await app.UserOf(tg);
        await ShopTestData.FundAsync(app, user.Id, 25_00);
        var p = await ShopTestData.ProductAsync(app, 1, price: 10_00);

        // A userId in the body is not how the caller is chosen: only the signed initData is.
        var other = Updates.NewUserId();
        var reserved = await client.PostAsync("/api/v1/app/reservations",
            new StringContent($"{{\"productId\":{p.Id},\"userId\":{other}}}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(201, (int)reserved.StatusCode);
        var r = await reserved.ReadJson();
        Assert.Equal(900, r.GetProperty("secondsLeft").GetInt32());
        Assert.Equal("10.00 USD", r.GetProperty("finalPrice").GetString());
        var rid = r.GetProperty("id").GetInt64();
        Assert.Equal(user.Id, await app.WithDb(db => db.Reservations.Where(x => x.Id == rid).Select(x => x.UserId).SingleAsync()));

        var mine = await (await client.GetAsync("/api/v1/app/reservations")).ReadJson();
        Assert.Equal(rid, mine[0].GetProperty("id").GetInt64());

        var order = await (await client.PostAsync($"/api/v1/app/reservations/{rid}/confirm", null)).ReadJson();
        Assert.Equal(p.Id, order.GetProperty("productId").GetInt64());
        Assert.StartsWith("KEY-", order.GetProperty("delivery").GetProperty("secret").GetString());

        var me = await (await client.GetAsync("/api/v1/app/me")).ReadJson();
        Assert.Equal(15_00, me.GetProperty("balances")[0].GetProperty("amountMinor").GetInt64());
        var orders = await (await client.GetAsync("/api/v1/app/orders")).ReadJson();
        Assert.Equal(order.GetProperty("id").GetInt64(), orders[0].GetProperty("id").GetInt64());
        Assert.StartsWith("KEY-", orders[0].GetProperty("delivery").GetProperty("secret").GetString());

        await (await client.PostAsync($"/api/v1/app/reservations/{rid}/confirm", null)).AssertProblem(409, "already_purchased");
        await (await client.PostAsJsonAsync("/api/v1/app/reservations", new { productId = p.Id })).AssertProblem(409, "sold_out");
    }

    [Fact]
    public async Task Too_little_money_is_a_402_and_the_hold_stays()
    {
        var client = app.As(Updates.NewUserId());
        var p = await ShopTestData.ProductAsync(app, 1, price: 10_00);
        var r = await (await client.PostAsJsonAsync("/api/v1/app/reservations", new { productId = p.Id })).ReadJson();
        var rid = r.GetProperty("id").GetInt64();
        await (await client.PostAsync($"/api/v1/app/reservations/{rid}/confirm", null)).AssertProblem(402, "insufficient_funds");
        Assert.Single((await (await client.GetAsync("/api/v1/app/reservations")).ReadJson()).EnumerateArray());
    }

    [Fact]
    public async Task A_customer_cannot_see_confirm_or_cancel_anothers_reservation_order_or_payment()
    {
        var a = app.As(Updates.NewUserId(), "Ann");
        var bTg = Updates.NewUserId();
        var b = app.As(bTg, "Ben");
        await b.GetAsync("/api/v1/app/me");
        var bUser = await app.UserOf(bTg);
        await ShopTestData.FundAsync(app, bUser.Id, 50_00);
        var p = await ShopTestData.ProductAsync(app, 3, price: 10_00);
        var held = (await (await b.PostAsJsonAsync("/api/v1/app/reservations", new { productId = p.Id })).ReadJson()).GetProperty("id").GetInt64();
        var bought = (await (await b.PostAsJsonAsync("/api/v1/app/reservations", new { productId = p.Id })).ReadJson()).GetProperty("id").GetInt64();
        var order = (await (await b.PostAsync($"/api/v1/app/reservations/{bought}/confirm", null)).ReadJson()).GetProperty("id").GetInt64();
        var payment = (await (await b.PostAsJsonAsync("/api/v1/app/wallet/topup", new { method = "stars", amount = 5 })).ReadJson()).GetProperty("id").GetInt64();

        await (await a.PostAsync($"/api/v1/app/reservations/{held}/cancel", null)).AssertProblem(404, "reservation_not_found");
        await (await a.PostAsync($"/api/v1/app/reservations/{held}/confirm", null)).AssertProblem(404, "reservation_not_found");
        await (await a.PostAsync($"/api/v1/app/reservations/{held}/stars", null)).AssertProblem(404, "reservation_not_found");
        await (await a.GetAsync($"/api/v1/app/orders/{order}")).AssertProblem(404, "order_not_found");
        await (await a.GetAsync($"/api/v1/app/payments/{payment}")).AssertProblem(404, "payment_not_found");
        Assert.Empty((await (await a.GetAsync("/api/v1/app/orders")).ReadJson()).EnumerateArray());
        Assert.Empty((await (await a.GetAsync("/api/v1/app/reservations")).ReadJson()).EnumerateArray());

        // B's hold is untouched, and B can still see and cancel it.
        Assert.Equal(ReservationStatus.Active, await app.WithDb(db => db.Reservations.Where(r => r.Id == held).Select(r => r.Status).SingleAsync()));
        Assert.Equal(200, (int)(await b.GetAsync($"/api/v1/app/orders/{order}")).StatusCode);
        Assert.Equal(204, (int)(await b.PostAsync($"/api/v1/app/reservations/{held}/cancel", null)).StatusCode);
        await (await b.PostAsync($"/api/v1/app/reservations/{held}/cancel", null)).AssertProblem(410, "reservation_expired");
    }

    [Fact]
    public async Task Stars_pay_a_reservation_through_createInvoiceLink_and_the_payment_completes_once()
    {
        var tg = Updates.NewUserId();
        var client = app.As(tg);
        var p = await ShopTestData.ProductAsync(app, 1, price: 2_00);
        var rid = (await (await client.PostAsJsonAsync("/api/v1/app/reservations", new { productId = p.Id })).ReadJson()).GetProperty("id").GetInt64();
        var before = app.Bot.CallsOf("createInvoiceLink").Count();
        var invoice = await (await client.PostAsync($"/api/v1/app/reservations/{rid}/stars", null)).ReadJson();
        Assert.StartsWith("https://t.me/$invoice", invoice.GetProperty("invoiceLink").GetString());
        Assert.Equal(100, invoice.GetProperty("stars").GetInt64()); // 2.00 USD × 50 stars
        var call = Assert.Single(app.Bot.CallsOf("createInvoiceLink").Skip(before));
        Assert.Equal("XTR", call.Str("currency"));
        var paymentId = invoice.GetProperty("paymentId").GetInt64();
        Assert.Equal(StarsPayments.PayloadFor(paymentId), call.Str("payload"));

        // Telegram's answers after the user paid in the invoice: the pre-checkout, then successful_payment twice.
        await app.Send(Updates.PreCheckout(tg, StarsPayments.PayloadFor(paymentId)));
        var charge = "charge-" + Guid.NewGuid().ToString("N");
        await app.Send(Paid(tg, paymentId, 100, charge));
        await app.Send(Paid(tg, paymentId, 100, charge));

        Assert.Equal(1, await ShopTestData.OrdersOfAsync(app, p.Id));
        var pay = await (await client.GetAsync($"/api/v1/app/payments/{paymentId}")).ReadJson();
        Assert.Equal("COMPLETED", pay.GetProperty("status").GetString());
        var orders = await (await client.GetAsync("/api/v1/app/orders")).ReadJson();
        Assert.Equal("stars", Assert.Single(orders.EnumerateArray()).GetProperty("paidWith").GetString());
        Assert.Equal(1, await app.WithDb(db => db.LedgerTransactions.CountAsync(t => t.Kind == "purchase" && t.ExternalRef == Purchase.LedgerRef(rid))));
    }

    [Fact]
    public async Task A_stars_top_up_is_a_wallet_payment_with_an_invoice_link_and_manual_transfers_are_left_to_the_chat()
    {
        var tg = Updates.NewUserId();
        var client = app.As(tg);
        var created = await client.PostAsJsonAsync("/api/v1/app/wallet/topup", new { method = "stars", amount = 3 });
        Assert.Equal(201, (int)created.StatusCode);
        var pay = await created.ReadJson();
        Assert.Equal("wallet_topup", pay.GetProperty("purpose").GetString());
        Assert.Equal(150, pay.GetProperty("payAmountMinor").GetInt64());
        Assert.StartsWith("https://t.me/$invoice", pay.GetProperty("payUrl").GetString());
        await app.Send(Paid(tg, pay.GetProperty("id").GetInt64(), 150, "charge-" + Guid.NewGuid().ToString("N")));
        var me = await (await client.GetAsync("/api/v1/app/me")).ReadJson();
        Assert.Equal(3_00, me.GetProperty("balances")[0].GetProperty("amountMinor").GetInt64());

        await (await client.PostAsJsonAsync("/api/v1/app/wallet/topup", new { method = "manual_bank", amount = 3 })).AssertProblem(422, "method_not_supported");
        await (await client.PostAsJsonAsync("/api/v1/app/wallet/topup", new { method = "stars", amount = -1 })).AssertProblem(400, "invalid_amount");
    }
}
