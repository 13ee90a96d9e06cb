using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bazaar.Server.Data;
using Bazaar.Server.Payments;
using Bazaar.Server.Shop;
using Bazaar.Tests.Fakes;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Payments;
using Bazaar.Tests.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Shop;

/// <summary>The shop with BTC and LTC on a fake Esplora explorer and rate API (rates read fresh every time).</summary>
public sealed class ShopCryptoAppFactory : ShopAppFactory
{
    public FakeChainApis Chain { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Chain = await FakeChainApis.StartAsync();
        Chain.SetPrice("bitcoin", "usd", 50_000m);
        Chain.SetPrice("litecoin", "usd", 100m);
        With("Payments:Crypto:Btc:Xpub", PaymentsAppFactory.BtcZpub);
        With("Payments:Crypto:Btc:ExplorerUrl", Chain.EsploraUrl("btc"));
        With("Payments:Crypto:Ltc:Xpub", PaymentsAppFactory.LtcZpub);
        With("Payments:Crypto:Ltc:ExplorerUrl", Chain.EsploraUrl("ltc"));
        With("Payments:Crypto:QuoteMinutes", "30");
        With("Payments:Crypto:Confirmations", "2");
        With("Payments:Crypto:PollSeconds", "0");
        With("Payments:Rates:Url", Chain.RatesUrl);
        With("Payments:Rates:RefreshMinutes", "0");
        await base.InitializeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) Chain?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}

public sealed class ShopCryptoTests(ShopCryptoAppFactory factory) : IClassFixture<ShopCryptoAppFactory>
{
    private async Task<ChatUser> Buyer(long funds = 0)
    {
        var u = await MoneyTestData.CreateUserAsync(factory);
        if (funds > 0) await ShopTestData.FundAsync(factory, u.Id, funds);
        return u;
    }

    private async Task<Reservation> Reserve(ChatUser buyer, Product product) => (await factory.Reserve(buyer.Id, product.Id)).Reservation!;

    /// <summary>POST /api/v1/admin/shop/reservations/{id}/pay, as an integrator would.</summary>
    private async Task<HttpResponseMessage> PayRequest(long userId, long reservationId, string method)
    {
        using var client = factory.AdminClient();
        return await client.PostAsJsonAsync($"/api/v1/admin/shop/reservations/{reservationId}/pay", new { userId, method });
    }

    private async Task<(long PaymentId, string Address, long Sats, JsonElement Crypto)> PayBtc(ChatUser buyer, Reservation r)
    {
        var response = await PayRequest(buyer.Id, r.Id, "btc");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var crypto = body.GetProperty("crypto");
        return (body.GetProperty("id").GetInt64(), crypto.GetProperty("address").GetString()!, crypto.GetProperty("amountSats").GetInt64(), crypto);
    }

    private async Task RunWatcher()
    {
        await using var scope = factory.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<CryptoWatcher>().RunOnceAsync(default);
    }

    /// <summary>Mines the transaction two blocks deep (Payments:Crypto:Confirmations is 2).</summary>
    private void Confirm(string txid)
    {
        var tip = factory.Chain.Tip("btc");
        factory.Chain.Confirm("btc", txid, tip + 1);
        factory.Chain.SetTip("btc", tip + 2);
    }

    private Task<List<string>> Texts(ChatUser u) => factory.TextsFor(long.Parse(u.ExternalId));

    private Task<List<Order>> OrdersOf(ChatUser u) => factory.WithDb(db => db.Orders.AsNoTracking().Where(o => o.UserId == u.Id).ToListAsync());

    [Fact]
    public async Task A_BTC_order_holds_the_quote_until_the_reservation_ends_and_is_fulfilled_once_when_confirmed()
    {
        factory.Chain.SetPrice("bitcoin", "usd", 50_000m);
        var product = await ShopTestData.ProductAsync(factory, units: 1, price: 10_00);
        var buyer = await Buyer();
        var r = await Reserve(buyer, product);

        var (paymentId, address, sats, crypto) = await PayBtc(buyer, r);
        Assert.Equal(20_000, sats); // 10 USD at 50,000 USD/BTC
        Assert.Equal(r.ExpiresAt, crypto.GetProperty("quoteExpiresAt").GetDateTime().ToUniversalTime());
        Assert.Equal(CoinAddresses.Derive(CoinParams.Bitcoin, PaymentsAppFactory.BtcZpub, crypto.GetProperty("derivationIndex").GetInt64()), address);

        var txid = factory.Chain.Pay("btc", address, sats);
        await RunWatcher();
        Assert.Empty(await OrdersOf(buyer)); // seen, not yet confirmed

        // The market moves after the quote; the payment made in time keeps the held rate.
        factory.Chain.SetPrice("bitcoin", "usd", 30_000m);
        Confirm(txid);
        await Task.WhenAll(RunWatcher(), RunWatcher());
        await RunWatcher();

        var order = Assert.Single(await OrdersOf(buyer));
        Assert.Equal(("btc", paymentId, 10_00L), (order.PaidWith, order.PaymentId!.Value, order.FinalPrice));
        Assert.Equal(1, await ShopTestData.SoldAsync(factory, product.Id));
        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, buyer.Id));
        var texts = await Texts(buyer);
        Assert.Single(texts, t => t.Contains($"Order #{order.Id}</b> paid"));
        Assert.Single(texts, t => t.Contains($"KEY-{product.Id}-0"));
        Assert.DoesNotContain(texts, t => t.Contains("added to your wallet"));
        Assert.Equal("COMPLETED", await factory.WithDb(db => db.Payments.Where(p => p.Id == paymentId).Select(p => p.Status.ToString().ToUpper()).SingleAsync()));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task An_underpayment_stays_in_the_wallet_is_never_topped_up_from_other_money_and_Confirm_pays_the_rest()
    {
        factory.Chain.SetPrice("bitcoin", "usd", 50_000m);
        var product = await ShopTestData.ProductAsync(factory, units: 1, price: 10_00);
        var buyer = await Buyer(funds: 50_00);
        var r = await Reserve(buyer, product);
        var (_, address, _, _) = await PayBtc(buyer, r);

        Confirm(factory.Chain.Pay("btc", address, 19_000)); // 9.50 USD
        await RunWatcher();

        Assert.Empty(await OrdersOf(buyer));
        Assert.Equal(59_50, await MoneyTestData.BalanceAsync(factory, buyer.Id));
        var outbox = await factory.OutboxFor(long.Parse(buyer.ExternalId));
        var notice = outbox.Last(m => m.Method == "sendMessage" && m.Payload.Contains("short of the price"));
        Assert.Contains("brought 9.50 USD, short of the price 10.00 USD by 0.50 USD", notice.Payload);
        Assert.Contains($"shop:ok:{r.Id}", ShopTestData.Buttons(notice.Payload));
        Assert.Contains("wallet:deposit", ShopTestData.Buttons(notice.Payload));

        Assert.True((await factory.Confirm(buyer.Id, r.Id)).Ok);
        Assert.Equal(49_50, await MoneyTestData.BalanceAsync(factory, buyer.Id));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task Two_outputs_that_together_cover_the_price_buy_the_order()
    {
        factory.Chain.SetPrice("bitcoin", "usd", 50_000m);
        var product = await ShopTestData.ProductAsync(factory, units: 1, price: 10_00);
        var buyer = await Buyer();
        var r = await Reserve(buyer, product);
        var (_, address, _, _) = await PayBtc(buyer, r);

        Confirm(factory.Chain.Pay("btc", address, 12_000));
        await RunWatcher();
        Assert.Empty(await OrdersOf(buyer));
        Confirm(factory.Chain.Pay("btc", address, 8_000));
        await RunWatcher();

        Assert.Single(await OrdersOf(buyer));
        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, buyer.Id));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task An_overpayment_buys_the_order_and_the_extra_stays_in_the_wallet_with_a_message()
    {
        factory.Chain.SetPrice("bitcoin", "usd", 50_000m);
        var product = await ShopTestData.ProductAsync(factory, units: 1, price: 10_00);
        var buyer = await Buyer();
        var r = await Reserve(buyer, product);
        var (_, address, _, _) = await PayBtc(buyer, r);

        Confirm(factory.Chain.Pay("btc", address, 30_000)); // 15 USD
        await RunWatcher();

        Assert.Single(await OrdersOf(buyer));
        Assert.Equal(5_00, await MoneyTestData.BalanceAsync(factory, buyer.Id));
        Assert.Single(await Texts(buyer), t => t.Contains("You paid 5.00 USD more than the price"));

        // A further output to the same address after the order is made also goes to the wallet, and says so.
        Confirm(factory.Chain.Pay("btc", address, 4_000));
        await RunWatcher();
        Assert.Single(await OrdersOf(buyer));
        Assert.Equal(7_00, await MoneyTestData.BalanceAsync(factory, buyer.Id));
        Assert.Single(await Texts(buyer), t => t.Contains("Another 2.00 USD arrived for a reservation that is already paid"));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task A_payment_seen_after_the_reservation_ended_is_requoted_and_buys_only_what_it_covers()
    {
        factory.Chain.SetPrice("bitcoin", "usd", 50_000m);
        var product = await ShopTestData.ProductAsync(factory, units: 2, price: 10_00);
        var cheap = await Buyer();
        var dear = await Buyer();
        var r1 = await Reserve(cheap, product);
        var r2 = await Reserve(dear, product);
        var (_, address1, sats1, _) = await PayBtc(cheap, r1);
        var (_, address2, sats2, _) = await PayBtc(dear, r2);

        factory.Clock.Advance(TimeSpan.FromMinutes(16));
        await factory.RunHandler(ReservationCleanupJob.JobType);

        // Bitcoin fell: the late 20,000 sats are worth 8 USD now, not the 10 USD quoted. Never the old rate.
        factory.Chain.SetPrice("bitcoin", "usd", 40_000m);
        var late1 = factory.Chain.Pay("btc", address1, sats1);
        await RunWatcher();
        Assert.Contains(await Texts(cheap), t => t.Contains("after the quoted rate ended") && t.Contains("8.00 USD"));
        Confirm(late1);
        await RunWatcher();
        Assert.Empty(await OrdersOf(cheap));
        Assert.Equal(8_00, await MoneyTestData.BalanceAsync(factory, cheap.Id));
        Assert.Single(await Texts(cheap), t => t.Contains("brought 8.00 USD, less than the price 10.00 USD, and the reservation has ended"));

        // Bitcoin rose: the late payment is worth 12 USD, a unit is still free, so it buys it and 2 USD stay.
        factory.Chain.SetPrice("bitcoin", "usd", 60_000m);
        Confirm(factory.Chain.Pay("btc", address2, sats2));
        await RunWatcher();
        Assert.Single(await OrdersOf(dear));
        Assert.Equal(2_00, await MoneyTestData.BalanceAsync(factory, dear.Id));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task A_late_payment_for_a_unit_sold_meanwhile_is_kept_in_the_wallet()
    {
        factory.Chain.SetPrice("bitcoin", "usd", 50_000m);
        var product = await ShopTestData.ProductAsync(factory, units: 1, price: 10_00);
        var buyer = await Buyer();
        var r = await Reserve(buyer, product);
        var (_, address, sats, _) = await PayBtc(buyer, r);
        factory.Clock.Advance(TimeSpan.FromMinutes(16));
        var other = await Buyer(funds: 10_00);
        Assert.True((await factory.Confirm(other.Id, (await Reserve(other, product)).Id)).Ok);

        Confirm(factory.Chain.Pay("btc", address, sats));
        await RunWatcher();

        Assert.Empty(await OrdersOf(buyer));
        Assert.Equal(10_00, await MoneyTestData.BalanceAsync(factory, buyer.Id));
        Assert.Single(await Texts(buyer), t => t.Contains("money is in your wallet"));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task The_pay_endpoint_refuses_what_it_cannot_pay_with_problem_details()
    {
        var product = await ShopTestData.ProductAsync(factory, units: 2, price: 10_00);
        var buyer = await Buyer();
        var r = await Reserve(buyer, product);

        var unknown = await PayRequest(buyer.Id, r.Id, "dogecoin");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal("unknown_method", (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await PayRequest(buyer.Id, r.Id, "manual_bank")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await PayRequest(buyer.Id + 999_999, r.Id, "btc")).StatusCode);

        factory.Clock.Advance(TimeSpan.FromMinutes(16));
        var expired = await PayRequest(buyer.Id, r.Id, "btc");
        Assert.Equal(HttpStatusCode.Gone, expired.StatusCode);
        Assert.Equal(ShopErrors.ReservationExpired, (await expired.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    private async Task<ChatUser> ChatUserOf(long telegramId) =>
        await factory.WithDb(db => db.Users.AsNoTracking().SingleAsync(u => u.ExternalId == telegramId.ToString()));

    [Fact]
    public async Task The_bot_checkout_offers_BTC_and_LTC_shows_one_address_per_reservation_and_delivers_after_confirmation()
    {
        factory.Chain.SetPrice("bitcoin", "usd", 50_000m);
        var product = await ShopTestData.ProductAsync(factory, units: 1, price: 10_00);
        var user = Updates.NewUserId();
        await factory.Send(Updates.Text(user, "/start"), Updates.Callback(user, ShopBot.BuyPrefix + product.Id));
        var r = await factory.WithDb(db => db.Reservations.AsNoTracking().SingleAsync(x => x.ProductId == product.Id));
        var held = (await factory.OutboxFor(user)).Last(m => m.Method == "sendMessage");
        Assert.Contains($"shop:cr:{r.Id}:btc", ShopTestData.Buttons(held.Payload));
        Assert.Contains($"shop:cr:{r.Id}:ltc", ShopTestData.Buttons(held.Payload));

        // Pressed twice before the address is ready: one payment.
        await factory.Send(Updates.Callback(user, $"shop:cr:{r.Id}:btc"), Updates.Callback(user, $"shop:cr:{r.Id}:btc"));
        Assert.Equal(2, (await factory.TextsFor(user)).Count(t => t.Contains("Preparing your BTC address")));
        await factory.RunJobs();
        var buyer = await ChatUserOf(user);
        var payment = await factory.WithDb(db => db.Payments.AsNoTracking().SingleAsync(p => p.UserId == buyer.Id));
        var deposit = await factory.WithDb(db => db.CryptoDeposits.AsNoTracking().SingleAsync(d => d.PaymentId == payment.Id));
        Assert.Equal((PaymentPurpose.Order, r.Id.ToString(), r.ExpiresAt), (payment.Purpose, payment.PurposeRef, deposit.QuoteExpiresAt));
        var instructions = (await factory.TextsFor(user)).Last();
        Assert.Contains(deposit.Address, instructions);
        Assert.Contains("0.0002 BTC", instructions);
        Assert.Contains("held with your reservation until", instructions);
        Assert.Contains(await factory.OutboxFor(user), m => m.Method == "sendPhoto" && m.Payload.Contains("Scan to pay"));

        // Pressing again shows the same address; no second payment.
        await factory.Send(Updates.Callback(user, $"shop:cr:{r.Id}:btc"));
        await factory.RunJobs();
        Assert.Equal(1, await factory.WithDb(db => db.Payments.CountAsync(p => p.UserId == buyer.Id)));
        Assert.Equal(2, (await factory.TextsFor(user)).Count(t => t.Contains(deposit.Address)));

        Confirm(factory.Chain.Pay("btc", deposit.Address, payment.PayAmount));
        await RunWatcher();
        var order = Assert.Single(await OrdersOf(buyer));
        Assert.Contains(await factory.TextsFor(user), t => t.Contains($"KEY-{product.Id}-0"));
        Assert.Equal(order.ReservationId, r.Id);
    }

    [Fact]
    public async Task A_crypto_payment_prepared_after_the_reservation_ended_gets_no_address_and_the_user_is_told()
    {
        var product = await ShopTestData.ProductAsync(factory, units: 1, price: 10_00);
        var user = Updates.NewUserId();
        await factory.Send(Updates.Text(user, "/start"), Updates.Callback(user, ShopBot.BuyPrefix + product.Id));
        var r = await factory.WithDb(db => db.Reservations.AsNoTracking().SingleAsync(x => x.ProductId == product.Id));
        await factory.Send(Updates.Callback(user, $"shop:cr:{r.Id}:ltc"));

        factory.Clock.Advance(TimeSpan.FromMinutes(16)); // the preparation job ran late
        await factory.RunJobs();

        var buyer = await ChatUserOf(user);
        var payment = await factory.WithDb(db => db.Payments.AsNoTracking().SingleAsync(p => p.UserId == buyer.Id));
        Assert.Equal(PaymentStatus.Failed, payment.Status);
        Assert.False(await factory.WithDb(db => db.CryptoDeposits.AnyAsync(d => d.PaymentId == payment.Id)));
        Assert.Contains(await factory.TextsFor(user), t => t.Contains("the reservation may have ended"));
    }
}
