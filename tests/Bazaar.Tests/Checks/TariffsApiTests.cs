using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Bazaar.Server.Checks;
using Bazaar.Server.Payments;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Payments;
using Bazaar.Tests.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Checks;

public sealed class TariffsApiTests(PaymentsAppFactory factory) : IClassFixture<PaymentsAppFactory>
{
    private static string Md5Hex(string s) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(s)));

    private async Task<JsonElement> CreateTariff(object body)
    {
        using var client = factory.AdminClient();
        var r = await client.PostJson("/api/v1/admin/tariffs", body);
        var json = await r.ReadJson();
        Assert.True(r.StatusCode == HttpStatusCode.Created, json.ToString());
        return json;
    }

    private Task<long> Credits(long userId) => factory.WithDb(async db =>
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CheckCredits>().BalanceAsync(userId, CancellationToken.None);
    });

    [Fact]
    public async Task Tariff_input_is_validated_with_problem_details_and_the_api_needs_a_key()
    {
        using var client = factory.AdminClient();
        await (await client.PostJson("/api/v1/admin/tariffs", new { credits = 5, price = 10m })).AssertProblem(400, "invalid_name");
        await (await client.PostJson("/api/v1/admin/tariffs", new { name = new string('x', 101), credits = 5, price = 10m })).AssertProblem(400, "invalid_name");
        await (await client.PostJson("/api/v1/admin/tariffs", new { name = "Zero", credits = 0, price = 10m })).AssertProblem(400, "invalid_credits");
        await (await client.PostJson("/api/v1/admin/tariffs", new { name = "Free", credits = 5, price = 0m })).AssertProblem(400, "invalid_price");
        await (await client.PostJson("/api/v1/admin/tariffs", new { name = "Odd", credits = 5, price = 1.001m })).AssertProblem(400, "invalid_price");
        await (await client.PostJson("/api/v1/admin/tariffs", new { name = "Credits", credits = 5, price = 1m, currency = "CREDIT" })).AssertProblem(400, "invalid_currency");
        await (await client.PostJson("/api/v1/admin/tariffs", new { name = "Stars", credits = 5, price = 1m, starsPrice = 0 })).AssertProblem(400, "invalid_stars_price");
        await (await client.PostJson("/api/v1/admin/tariffs", new { name = "Bad", credits = "many", price = 1m })).AssertProblem(400);
        await (await client.PutAsync("/api/v1/admin/tariffs/987654321", JsonContent(new { name = "x" }))).AssertProblem(404, "tariff_not_found");
        await (await client.DeleteAsync("/api/v1/admin/tariffs/987654321")).AssertProblem(404, "tariff_not_found");
        using var anonymous = factory.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/admin/tariffs")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostJson("/api/v1/payments/create", new { userId = 1, tariffId = 1, method = "stars" })).StatusCode);
    }

    private static StringContent JsonContent(object o) => new(JsonSerializer.Serialize(o), Encoding.UTF8, "application/json");

    [Fact]
    public async Task Operators_create_change_and_deactivate_tariffs_and_users_see_the_active_ones_in_order()
    {
        var b = await CreateTariff(new { name = "Ten checks", credits = 10, price = 450m, currency = "RUB", starsPrice = 250, sortOrder = 2 });
        var a = await CreateTariff(new { name = "One check", credits = 1, price = 50m, currency = "RUB", sortOrder = 1 });
        Assert.Equal(450_00, b.GetProperty("priceMinor").GetInt64());
        Assert.Equal(250, b.GetProperty("starsPrice").GetInt64());
        Assert.True(b.GetProperty("isActive").GetBoolean());

        using var client = factory.AdminClient();
        var put = await (await client.PutAsync($"/api/v1/admin/tariffs/{a.GetProperty("id").GetInt64()}", JsonContent(new { price = 55m }))).ReadJson();
        Assert.Equal(55_00, put.GetProperty("priceMinor").GetInt64());
        Assert.Equal("One check", put.GetProperty("name").GetString());

        using var anonymous = factory.CreateClient();
        var active = await (await anonymous.GetAsync("/api/v1/tariffs")).ReadJson();
        var names = active.EnumerateArray().Select(t => t.GetProperty("name").GetString()).ToList();
        Assert.True(names.IndexOf("One check") < names.IndexOf("Ten checks"));

        var del = await client.DeleteAsync($"/api/v1/admin/tariffs/{b.GetProperty("id").GetInt64()}");
        Assert.Equal(HttpStatusCode.OK, del.StatusCode);
        Assert.False((await del.ReadJson()).GetProperty("isActive").GetBoolean());
        active = await (await anonymous.GetAsync("/api/v1/tariffs")).ReadJson();
        Assert.DoesNotContain(active.EnumerateArray(), t => t.GetProperty("id").GetInt64() == b.GetProperty("id").GetInt64());
        // Still there for operators (payments refer to it), and no longer payable.
        var all = await (await client.GetAsync("/api/v1/admin/tariffs")).ReadJson();
        Assert.Contains(all.EnumerateArray(), t => t.GetProperty("id").GetInt64() == b.GetProperty("id").GetInt64());
        var user = await MoneyTestData.CreateUserAsync(factory);
        await (await client.PostJson("/api/v1/payments/create", new { userId = user.Id, tariffId = b.GetProperty("id").GetInt64(), method = "robokassa" }))
            .AssertProblem(422, TariffErrors.Inactive);
    }

    [Fact]
    public async Task A_tariff_paid_through_the_alias_routes_adds_its_credits_once_under_simultaneous_callbacks()
    {
        var t = await CreateTariff(new { name = "Five", credits = 5, price = 100.5m, currency = "RUB" });
        var user = await MoneyTestData.CreateUserAsync(factory);
        using var client = factory.AdminClient();
        var created = await client.PostJson("/api/v1/payments/create", new { userId = user.Id, tariffId = t.GetProperty("id").GetInt64(), method = "robokassa" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var p = await created.ReadJson();
        var id = p.GetProperty("id").GetInt64();
        Assert.Equal("tariff", p.GetProperty("purpose").GetString());
        Assert.Contains("auth.robokassa.ru", p.GetProperty("payUrl").GetString());

        var signature = Md5Hex($"100.50:{id}:{PaymentsAppFactory.RobokassaPassword2}:Shp_user={user.Id}");
        FormUrlEncodedContent Form() => new(new Dictionary<string, string>
        {
            ["OutSum"] = "100.50", ["InvId"] = id.ToString(), ["SignatureValue"] = signature, ["Shp_user"] = user.Id.ToString(),
        });
        using var anonymous = factory.CreateClient();
        // The alias and the main route, at once, several times each.
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => anonymous.PostAsync(
            i % 2 == 0 ? "/api/v1/payments/robokassa/callback" : "/api/v1/payments/robokassa/result", Form())));
        foreach (var r in responses)
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal($"OK{id}", await r.Content.ReadAsStringAsync());
        }
        Assert.Equal(5, await Credits(user.Id));
        // A bad signature gets the same answer from the alias as from the main route.
        await (await anonymous.PostAsync("/api/v1/payments/robokassa/callback", new FormUrlEncodedContent(new Dictionary<string, string>
            { ["OutSum"] = "100.50", ["InvId"] = id.ToString(), ["SignatureValue"] = "00", ["Shp_user"] = user.Id.ToString() }))).AssertProblem(400, "bad_signature");

        var status = await (await client.GetAsync($"/api/v1/payments/{id}/status")).ReadJson();
        Assert.Equal("COMPLETED", status.GetProperty("status").GetString());
        var main = await (await client.GetAsync($"/api/v1/payments/{id}")).ReadJson();
        Assert.Equal(main.GetProperty("status").GetString(), status.GetProperty("status").GetString());
        await (await client.GetAsync("/api/v1/payments/987654321/status")).AssertProblem(404, "payment_not_found");

        var texts = await PaymentTestData.TextsToAsync(factory, user.ExternalId);
        Assert.Single(texts, x => x.Contains("<b>5</b> check credits added") && x.Contains("Your balance: <b>5</b> credits"));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task The_stars_alias_makes_an_invoice_link_at_the_tariffs_stars_price_and_completion_grants_once()
    {
        var t = await CreateTariff(new { name = "Stars pack", credits = 3, price = 2m, currency = "USD", starsPrice = 77 });
        var user = await MoneyTestData.CreateUserAsync(factory);
        using var client = factory.AdminClient();
        var r = await client.PostJson("/api/v1/payments/telegram-stars", new { userId = user.Id, tariffId = t.GetProperty("id").GetInt64() });
        var body = await r.ReadJson();
        Assert.True(r.StatusCode == HttpStatusCode.Created, body.ToString());
        Assert.Equal(77, body.GetProperty("stars").GetInt64());
        Assert.StartsWith("https://t.me/$invoice", body.GetProperty("invoiceLink").GetString());
        var id = body.GetProperty("paymentId").GetInt64();
        var call = factory.Bot.CallsOf("createInvoiceLink").Single(c => c.Str("payload") == $"pay:{id}");
        Assert.Equal(77, call.Parameters["prices"]![0]!["amount"]!.GetValue<int>());

        var charge = "charge-" + Guid.NewGuid().ToString("N");
        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
        {
            await using var scope = factory.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<StarsPayments>().CompleteStarsPaymentAsync(charge, $"pay:{id}", 77, default);
        })));
        Assert.Equal(3, await Credits(user.Id));
        Assert.Equal(1, await factory.WithDb(db => db.LedgerTransactions.CountAsync(x => x.ExternalRef == TariffPurchase.GrantKey(id))));
        await (await client.PostJson("/api/v1/payments/telegram-stars", new { userId = user.Id, tariffId = 987654321L })).AssertProblem(404, "tariff_not_found");
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }
    [Fact]
    public async Task The_aliases_give_the_same_answers_as_the_main_routes_for_bad_input_and_status()
    {
        var t = await CreateTariff(new { name = "Alias", credits = 2, price = 30m, currency = "RUB" });
        var tariffId = t.GetProperty("id").GetInt64();
        var user = await MoneyTestData.CreateUserAsync(factory);
        using var client = factory.AdminClient();
        object Main(long userId, string method) => new { userId, method, purpose = "tariff", purposeRef = tariffId.ToString(), amount = 30m, currency = "RUB" };
        foreach (var (userId, method) in new[] { (user.Id, "cheque"), (987654321L, "robokassa") })
        {
            var alias = await client.PostJson("/api/v1/payments/create", new { userId, tariffId, method });
            var main = await client.PostJson("/api/v1/payments", Main(userId, method));
            Assert.Equal(main.StatusCode, alias.StatusCode);
            Assert.Equal((await main.ReadJson()).GetProperty("code").GetString(), (await alias.ReadJson()).GetProperty("code").GetString());
        }
        // A payment made through the alias is the same kind of payment the main route makes.
        var viaAlias = await (await client.PostJson("/api/v1/payments/create", new { userId = user.Id, tariffId, method = "robokassa" })).ReadJson();
        var viaMain = await (await client.PostJson("/api/v1/payments", Main(user.Id, "robokassa"))).ReadJson();
        foreach (var field in new[] { "method", "purpose", "purposeRef", "amount", "currency", "status" })
            Assert.Equal(viaMain.GetProperty(field).ToString(), viaAlias.GetProperty(field).ToString());
        var id = viaAlias.GetProperty("id").GetInt64();
        var status = await (await client.GetAsync($"/api/v1/payments/{id}/status")).ReadJson();
        var full = await (await client.GetAsync($"/api/v1/payments/{id}")).ReadJson();
        Assert.Equal(full.GetProperty("status").GetString(), status.GetProperty("status").GetString());
        Assert.Equal(full.GetProperty("payUrl").GetString(), status.GetProperty("payUrl").GetString());
        var missingMain = await client.GetAsync("/api/v1/payments/987654321");
        var missingAlias = await client.GetAsync("/api/v1/payments/987654321/status");
        Assert.Equal(missingMain.StatusCode, missingAlias.StatusCode);
        Assert.Equal((await missingMain.ReadJson()).GetProperty("code").GetString(), (await missingAlias.ReadJson()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Every_tariff_check_and_alias_route_is_in_the_OpenAPI_document()
    {
        using var client = factory.CreateClient();
        var paths = (await (await client.GetAsync("/openapi/v1.json")).ReadJson()).GetProperty("paths");
        foreach (var (path, verb) in new[]
                 {
                     ("/api/v1/admin/tariffs", "get"), ("/api/v1/admin/tariffs", "post"), ("/api/v1/admin/tariffs/{id}", "put"),
                     ("/api/v1/admin/tariffs/{id}", "delete"), ("/api/v1/tariffs", "get"),
                     ("/api/v1/payments/create", "post"), ("/api/v1/payments/{id}/status", "get"),
                     ("/api/v1/payments/robokassa/callback", "post"), ("/api/v1/payments/telegram-stars", "post"),
                     ("/api/v1/checks", "post"), ("/api/v1/checks/{id}", "get"), ("/api/v1/checks/{id}/report.xlsx", "get"),
                 })
        {
            Assert.True(paths.TryGetProperty(path, out var item), $"{path} is missing from the OpenAPI document");
            Assert.True(item.TryGetProperty(verb, out var op), $"{verb.ToUpperInvariant()} {path} is missing from the OpenAPI document");
            Assert.False(string.IsNullOrEmpty(op.GetProperty("summary").GetString()), $"{verb} {path} has no summary");
        }
    }
}
