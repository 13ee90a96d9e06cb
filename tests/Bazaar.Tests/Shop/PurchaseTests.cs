using Bazaar.Server.Data;
using Bazaar.Server.Payments;
using Bazaar.Server.Shop;
using Bazaar.Server.Wallet;
using Bazaar.Tests.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Shop;

public sealed class PurchaseTests(ShopAppFactory factory) : IClassFixture<ShopAppFactory>
{
    private async Task<ChatUser> Buyer(long funds = 100_00)
    {
        var u = await MoneyTestData.CreateUserAsync(factory);
        if (funds > 0) await ShopTestData.FundAsync(factory, u.Id, funds);
        return u;
    }

    [Fact]
    public async Task Fifty_concurrent_buyers_for_five_units_make_five_orders_five_debits_and_forty_five_sold_out()
    {
        var product = await ShopTestData.ProductAsync(factory, units: 5, price: 10_00);
        var buyers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Buyer()));
        var postingsBefore = await ShopTestData.PurchasePostingsAsync(factory);
        var revenueBefore = await MoneyTestData.SystemBalanceAsync(factory, AccountRef.SalesRevenue);

        var results = await Task.WhenAll(buyers.Select(b => Task.Run(async () =>
        {
            var r = await factory.Reserve(b.Id, product.Id);
            if (r.Reservation is null) return r.Error!;
            var p = await factory.Confirm(b.Id, r.Reservation.Id);
            return p.Ok ? "ok" : p.Error!;
        })));

        Assert.Equal(5, results.Count(r => r == "ok"));
        Assert.Equal(45, results.Count(r => r == ShopErrors.SoldOut));
        Assert.Equal(5, await ShopTestData.OrdersOfAsync(factory, product.Id));
        Assert.Equal(5, await ShopTestData.SoldAsync(factory, product.Id));
        Assert.Equal(postingsBefore + 5, await ShopTestData.PurchasePostingsAsync(factory));
        var charged = 0;
        foreach (var b in buyers) if (await MoneyTestData.BalanceAsync(factory, b.Id) == 90_00) charged++;
        Assert.Equal(5, charged);
        // On PostgreSQL the shared revenue row is updated with each sale's COMMIT (SystemBalancesAtCommit): all five arrive.
        Assert.Equal(revenueBefore + 5 * 10_00, await MoneyTestData.SystemBalanceAsync(factory, AccountRef.SalesRevenue));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task A_posting_undone_with_its_savepoint_inside_a_sale_leaves_the_revenue_as_if_it_never_happened()
    {
        var buyer = await Buyer(20_00);
        var before = await MoneyTestData.SystemBalanceAsync(factory, AccountRef.SalesRevenue);
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var shopTx = scope.ServiceProvider.GetRequiredService<ShopTransaction>();
            var ledger = scope.ServiceProvider.GetRequiredService<Ledger>();
            await shopTx.RunAsync(async () =>
            {
                Assert.True((await ledger.TransferAsync(AccountRef.Wallet(buyer.Id), AccountRef.SalesRevenue, 3_00, "USD", "purchase", null, default)).Ok);
                // A nested step that posts and then gives up: its savepoint is rolled back, and with it what it held for the commit.
                await shopTx.RunAsync(async () =>
                {
                    Assert.True((await ledger.TransferAsync(AccountRef.Wallet(buyer.Id), AccountRef.SalesRevenue, 5_00, "USD", "purchase", null, default)).Ok);
                    return (0, false);
                }, default);
                return (0, true);
            }, default);
        }
        Assert.Equal(before + 3_00, await MoneyTestData.SystemBalanceAsync(factory, AccountRef.SalesRevenue));
        Assert.Equal(17_00, await MoneyTestData.BalanceAsync(factory, buyer.Id));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task The_same_reservation_confirmed_at_once_makes_one_order_and_one_debit()
    {
        var product = await ShopTestData.ProductAsync(factory, units: 3, price: 7_00);
        var buyer = await Buyer(50_00);
        var r = (await factory.Reserve(buyer.Id, product.Id)).Reservation!;

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() => factory.Confirm(buyer.Id, r.Id))));

        Assert.Single(results, x => x.Ok);
        Assert.All(results.Where(x => !x.Ok), x => Assert.True(x.AlreadyPurchased || x.Error == "already_purchased", x.Error));
        Assert.Equal(1, await ShopTestData.OrdersOfAsync(factory, product.Id));
        Assert.Equal(43_00, await MoneyTestData.BalanceAsync(factory, buyer.Id));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task An_expired_hold_does_not_block_a_sale_before_the_clean_up_job_runs()
    {
        var product = await ShopTestData.ProductAsync(factory, units: 1);
        var first = await Buyer();
        var second = await Buyer();
        var held = (await factory.Reserve(first.Id, product.Id)).Reservation!;
        Assert.Equal(ShopErrors.SoldOut, (await factory.Reserve(second.Id, product.Id)).Error);

        factory.Clock.Advance(TimeSpan.FromMinutes(15));
        // No clean-up job has run: the lapsed hold is ignored by the read and taken over by the claim.
        var taken = await factory.Reserve(second.Id, product.Id);
        Assert.NotNull(taken.Reservation);
        Assert.True((await factory.Confirm(second.Id, taken.Reservation!.Id)).Ok);

        var late = await factory.Confirm(first.Id, held.Id);
        Assert.Equal(ShopErrors.ReservationExpired, late.Error);
        Assert.Equal(100_00, await MoneyTestData.BalanceAsync(factory, first.Id));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task A_unit_held_by_a_running_reservation_is_not_held_again_and_a_lapsed_one_is()
    {
        // The hold's own condition, not only the pick before it: the unit turns Reserved for a reservation only while
        // it is free (available, or held by a lapsed reservation).
        var product = await ShopTestData.ProductAsync(factory, units: 1);
        var first = await Buyer();
        var second = await Buyer();
        var held = (await factory.Reserve(first.Id, product.Id)).Reservation!;
        var unitId = held.UnitId!.Value;
        var now = factory.Clock.GetUtcNow().UtcDateTime;

        Assert.False(await factory.In(async sp =>
        {
            await sp.GetRequiredService<BazaarDb>().Database.OpenConnectionAsync();
            return await sp.GetRequiredService<Reservations>().HoldUnitAsync(unitId, held.Id + 1_000, now.AddMinutes(15), now, default);
        }));
        Assert.Equal(held.Id, await factory.WithDb(db => db.StockUnits.Where(u => u.Id == unitId).Select(u => u.ReservationId).SingleAsync()));

        factory.Clock.Advance(TimeSpan.FromMinutes(15));
        now = factory.Clock.GetUtcNow().UtcDateTime;
        var taken = await factory.Reserve(second.Id, product.Id);
        Assert.Equal(unitId, taken.Reservation!.UnitId);
        Assert.Equal(taken.Reservation.Id, await factory.WithDb(db => db.StockUnits.Where(u => u.Id == unitId).Select(u => u.ReservationId).SingleAsync()));
    }

    [Fact]
    public async Task The_clean_up_job_releases_expired_reservations_and_their_units()
    {
        var product = await ShopTestData.ProductAsync(factory, units: 2);
        var buyer = await Buyer();
        var held = (await factory.Reserve(buyer.Id, product.Id)).Reservation!;
        await factory.RunHandler(ReservationCleanupJob.JobType);
        Assert.Equal(ReservationStatus.Active, await factory.WithDb(db => db.Reservations.Where(r => r.Id == held.Id).Select(r => r.Status).SingleAsync()));

        factory.Clock.Advance(TimeSpan.FromMinutes(15).Add(TimeSpan.FromSeconds(1)));
        await factory.RunHandler(ReservationCleanupJob.JobType);

        Assert.Equal(ReservationStatus.Expired, await factory.WithDb(db => db.Reservations.Where(r => r.Id == held.Id).Select(r => r.Status).SingleAsync()));
        Assert.Equal(2, await factory.WithDb(db => db.StockUnits.CountAsync(u => u.ProductId == product.Id && u.Status == UnitStatus.Available && u.ReservationId == null)));
    }

    [Fact]
    public async Task Insufficient_balance_keeps_the_reservation_and_the_unit_and_charges_nothing()
    {
        var product = await ShopTestData.ProductAsync(factory, units: 1, price: 10_00);
        var buyer = await Buyer(5_00);
        var other = await Buyer();
        var r = (await factory.Reserve(buyer.Id, product.Id)).Reservation!;

        var result = await factory.Confirm(buyer.Id, r.Id);

        Assert.Equal(ShopErrors.InsufficientFunds, result.Error);
        Assert.Equal(5_00, await MoneyTestData.BalanceAsync(factory, buyer.Id));
        Assert.Equal(ShopErrors.SoldOut, (await factory.Reserve(other.Id, product.Id)).Error);
        await ShopTestData.FundAsync(factory, buyer.Id, 5_00);
        Assert.True((await factory.Confirm(buyer.Id, r.Id)).Ok);
        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, buyer.Id));
    }

    [Fact]
    public async Task A_user_holds_at_most_three_reservations_even_when_reserving_at_once()
    {
        var product = await ShopTestData.ProductAsync(factory, units: 10);
        var buyer = await Buyer();

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => factory.Reserve(buyer.Id, product.Id))));

        Assert.Equal(3, results.Count(r => r.Reservation is not null));
        Assert.All(results.Where(r => r.Reservation is null), r => Assert.Equal(ShopErrors.TooManyReservations, r.Error));
        Assert.Equal(3, await factory.WithDb(db => db.StockUnits.CountAsync(u => u.ProductId == product.Id && u.Status == UnitStatus.Reserved)));
        // A lapsed hold frees its slot at once.
        factory.Clock.Advance(TimeSpan.FromMinutes(16));
        Assert.NotNull((await factory.Reserve(buyer.Id, product.Id)).Reservation);
    }

    [Fact]
    public async Task An_order_stores_the_original_price_the_discount_and_the_final_price()
    {
        var product = await ShopTestData.ProductAsync(factory, units: 1, price: 19_99, discount: 15);
        var buyer = await Buyer();
        var r = (await factory.Reserve(buyer.Id, product.Id)).Reservation!;
        var order = (await factory.Confirm(buyer.Id, r.Id)).Order!;
        Assert.Equal((19_99L, 15, 3_00L, 16_99L), (order.OriginalPrice, order.DiscountPercent, order.DiscountAmount, order.FinalPrice));
        Assert.Equal(100_00 - 16_99, await MoneyTestData.BalanceAsync(factory, buyer.Id));
    }

    private async Task<(ChatUser User, Reservation Reservation, Payment Payment)> StarsOrder(Product product)
    {
        var buyer = await Buyer(0);
        var r = (await factory.Reserve(buyer.Id, product.Id)).Reservation!;
        var (p, error) = await factory.In(sp => sp.GetRequiredService<PaymentCreator>().CreatePendingAsync(
            new CreatePaymentRequest(buyer.Id, "stars", "order", r.Id.ToString(), r.FinalPrice / 100m, "USD"), default));
        Assert.Null(error);
        return (buyer, r, p!);
    }

    private Task<CompleteResult> PayStars(Payment p, string charge) =>
        factory.In(sp => sp.GetRequiredService<StarsPayments>().CompleteStarsPaymentAsync(charge, StarsPayments.PayloadFor(p.Id), p.PayAmount, default));

    [Fact]
    public async Task A_Stars_payment_in_time_buys_the_unit_once_even_when_delivered_twice()
    {
        var product = await ShopTestData.ProductAsync(factory, units: 1, price: 2_00);
        var (buyer, r, p) = await StarsOrder(product);
        Assert.Equal(100, p.PayAmount); // 2 USD at 50 stars each

        var charge = "charge-" + Guid.NewGuid();
        await Task.WhenAll(PayStars(p, charge), PayStars(p, charge));

        Assert.Equal(1, await ShopTestData.OrdersOfAsync(factory, product.Id));
        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, buyer.Id));
        var order = await factory.WithDb(db => db.Orders.SingleAsync(o => o.ReservationId == r.Id));
        Assert.Equal(("stars", p.Id), (order.PaidWith, order.PaymentId!.Value));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task A_late_Stars_payment_still_gets_its_unit_when_one_is_free()
    {
        var product = await ShopTestData.ProductAsync(factory, units: 1, price: 2_00);
        var (buyer, r, p) = await StarsOrder(product);
        factory.Clock.Advance(TimeSpan.FromMinutes(20));
        await factory.RunHandler(ReservationCleanupJob.JobType);
        // The pre-checkout refuses the stale quote; a payment that completes anyway is honoured.
        Assert.Equal(ShopErrors.ReservationExpired, await factory.In(sp => sp.GetRequiredService<Purchase>().CheckPayableAsync(p, default)));

        await PayStars(p, "charge-" + Guid.NewGuid());

        Assert.Equal(1, await ShopTestData.OrdersOfAsync(factory, product.Id));
        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, buyer.Id));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task A_late_Stars_payment_for_a_unit_sold_meanwhile_is_kept_in_the_wallet_with_a_message()
    {
        var product = await ShopTestData.ProductAsync(factory, units: 1, price: 2_00);
        var (buyer, r, p) = await StarsOrder(product);
        factory.Clock.Advance(TimeSpan.FromMinutes(16));
        var other = await Buyer();
        var taken = (await factory.Reserve(other.Id, product.Id)).Reservation!;
        Assert.True((await factory.Confirm(other.Id, taken.Id)).Ok);

        var charge = "charge-" + Guid.NewGuid();
        await Task.WhenAll(PayStars(p, charge), PayStars(p, charge));

        Assert.Equal(1, await ShopTestData.OrdersOfAsync(factory, product.Id));
        Assert.False(await factory.WithDb(db => db.Orders.AnyAsync(o => o.UserId == buyer.Id)));
        Assert.Equal(2_00, await MoneyTestData.BalanceAsync(factory, buyer.Id));
        var texts = await factory.TextsFor(long.Parse(buyer.ExternalId));
        Assert.Single(texts, t => t.Contains("money is in your wallet"));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }
}
