using System.Net;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Wallet;
using Bazaar.Server.Payments;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Bazaar.Tests.Payments;

public sealed class PaymentsApiTests(PaymentsAppFactory factory) : IClassFixture<PaymentsAppFactory>
{
    [Fact]
    public async Task An_unknown_status_filter_gets_invalid_status_naming_the_allowed_values()
    {
        using var client = factory.AdminClient();
        foreach (var url in new[] { "/api/v1/admin/payments?status=LOST", "/api/v1/admin/deposits?status=LOST" })
        {
            var problem = await (await client.GetAsync(url)).AssertProblem(400, "invalid_status");
            Assert.Contains("PENDING, COMPLETED, FAILED", problem.GetProperty("detail").GetString());
        }
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/admin/payments?status=PENDING")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/admin/deposits?status=pending")).StatusCode);
    }

    [Fact]
    public void The_manual_transfer_query_matches_IsManual_for_every_method()
    {
        var inQuery = Bazaar.Server.Payments.PaymentMethods.IsManualTransfer.Compile();
        foreach (var m in Enum.GetValues<Bazaar.Server.Payments.PaymentMethod>())
            Assert.Equal(m.IsManual(), inQuery(new Bazaar.Server.Payments.Payment
            {
                UserId = 1, Method = m, Purpose = Bazaar.Server.Payments.PaymentPurpose.WalletTopup, Amount = 1, Currency = "USD", PayCurrency = "USD",
            }));
    }

    [Fact]
    public async Task Creating_a_payment_validates_its_input_with_problem_details()
    {
        var user = await MoneyTestData.CreateUserAsync(factory);
        using var client = factory.AdminClient();
        await (await client.PostJson("/api/v1/payments", new { userId = user.Id, method = "paypal", amount = 5m })).AssertProblem(400, "unknown_method");
        await (await client.PostJson("/api/v1/payments", new { userId = user.Id, method = "stripe", amount = -5m })).AssertProblem(400, "invalid_amount");
        await (await client.PostJson("/api/v1/payments", new { userId = user.Id, method = "stripe", amount = 5m, currency = "ABC" })).AssertProblem(400, "invalid_amount");
        await (await client.PostJson("/api/v1/payments", new { userId = user.Id, method = "stripe", purpose = "order", purposeRef = "17", amount = 5m })).AssertProblem(422, "reservation_not_found");
        await (await client.PostJson("/api/v1/payments", new { userId = user.Id, method = "stripe", purpose = "tariff", purposeRef = "987654321", amount = 5m })).AssertProblem(422, "tariff_not_found");
        await (await client.PostJson("/api/v1/payments", new { userId = 987654321L, method = "stripe", amount = 5m })).AssertProblem(404, "user_not_found");
        await (await client.GetAsync("/api/v1/payments/987654321")).AssertProblem(404, "payment_not_found");
        using var anonymous = factory.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostJson("/api/v1/payments", new { userId = user.Id, method = "stripe", amount = 5m })).StatusCode);
    }

    [Fact]
    public async Task A_broken_extended_public_key_is_a_422_not_a_crash()
    {
        var user = await MoneyTestData.CreateUserAsync(factory);
        // The start-up check refuses such a key (SettingsChecksTests); without it, the payment still fails cleanly.
        await using var broken = factory.WithWebHostBuilder(b => b.UseSetting("Payments:Crypto:Btc:Xpub", "xpub-not-a-key")
            .ConfigureServices(s => s.RemoveAll<IValidateOptions<PaymentsOptions>>()));
        using var client = broken.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", AppFactory.ApiKey);
        await (await client.PostJson("/api/v1/payments", new { userId = user.Id, method = "btc", amount = 5m })).AssertProblem(422, "method_misconfigured");
    }

    [Fact]
    public async Task The_admin_listing_filters_by_user_method_and_status_and_pages()
    {
        var user = await MoneyTestData.CreateUserAsync(factory);
        for (var i = 0; i < 3; i++) await PaymentTestData.CreatePaymentAsync(factory, user.Id, "manual_bank", 1m + i);
        await PaymentTestData.CreatePaymentAsync(factory, user.Id, "robokassa", 9m);
        using var client = factory.AdminClient();

        var page1 = await (await client.GetAsync($"/api/v1/admin/payments?userId={user.Id}&method=manual_bank&status=pending&pageSize=2")).ReadJson();
        Assert.Equal(3, page1.GetProperty("total").GetInt32());
        Assert.Equal(2, page1.GetProperty("items").GetArrayLength());
        var page2 = await (await client.GetAsync($"/api/v1/admin/payments?userId={user.Id}&method=manual_bank&pageSize=2&page=2")).ReadJson();
        Assert.Equal(1, page2.GetProperty("items").GetArrayLength());
        Assert.All(page1.GetProperty("items").EnumerateArray(), p => Assert.Equal("manual_bank", p.GetProperty("method").GetString()));
        var all = await (await client.GetAsync($"/api/v1/admin/payments?userId={user.Id}")).ReadJson();
        Assert.Equal(4, all.GetProperty("total").GetInt32());
        var completed = await (await client.GetAsync($"/api/v1/admin/payments?userId={user.Id}&status=completed")).ReadJson();
        Assert.Equal(0, completed.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Every_payment_endpoint_is_in_the_OpenAPI_document()
    {
        using var client = factory.CreateClient();
        var doc = await (await client.GetAsync("/openapi/v1.json")).ReadJson();
        var paths = doc.GetProperty("paths");
        foreach (var path in new[]
                 {
                     "/api/v1/payments", "/api/v1/payments/{id}", "/api/v1/payments/stripe/webhook", "/api/v1/payments/robokassa/result",
                     "/api/v1/admin/payments", "/api/v1/admin/payments/{id}/refund", "/api/v1/admin/deposits",
                     "/api/v1/admin/deposits/{id}/approve", "/api/v1/admin/deposits/{id}/reject", "/api/v1/admin/ledger/verify",
                     "/api/v1/admin/wallets/{userId}", "/api/v1/admin/wallets/{userId}/adjust",
                 })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is missing from the OpenAPI document");
        }
    }
}
