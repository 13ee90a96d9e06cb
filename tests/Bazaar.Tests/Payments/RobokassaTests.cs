using System.Net;
using System.Security.Cryptography;
using System.Text;
using Bazaar.Server.Payments;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Wallet;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Bazaar.Tests.Payments;

public sealed class RobokassaTests(PaymentsAppFactory factory) : IClassFixture<PaymentsAppFactory>
{
    private static string Md5Hex(string s) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(s)));

    private async Task<HttpResponseMessage> PostResult(string outSum, long invId, string signature, long userId)
    {
        using var client = factory.CreateClient();
        return await client.PostAsync("/api/v1/payments/robokassa/result", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["OutSum"] = outSum, ["InvId"] = invId.ToString(), ["SignatureValue"] = signature, ["Shp_user"] = userId.ToString(),
            ["Fee"] = "0.00", ["EMail"] = "buyer@example.com",
        }));
    }

    [Fact]
    public async Task A_malformed_multipart_body_is_a_400_not_a_500()
    {
        using var client = factory.CreateClient();
        // The boundary is declared but the body never closes it: the form reader throws mid-parse.
        var body = new StringContent("--xyz\r\nContent-Disposition: form-data; name=\"OutSum\"\r\n\r\n100.50\r\n--xy", Encoding.UTF8);
        body.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("multipart/form-data; boundary=xyz");

        var r = await client.PostAsync("/api/v1/payments/robokassa/result", body);

        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"malformed_form\"", await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_payment_link_is_signed_with_password1_and_the_sorted_Shp_parameters()
    {
        var user = await MoneyTestData.CreateUserAsync(factory);
        var p = await PaymentTestData.CreatePaymentAsync(factory, user.Id, "robokassa", 100.5m, "RUB");
        var id = p.GetProperty("id").GetInt64();
        var url = new Uri(p.GetProperty("payUrl").GetString()!);
        var q = QueryHelpers.ParseQuery(url.Query);

        Assert.Equal("https://auth.robokassa.ru/Merchant/Index.aspx", url.GetLeftPart(UriPartial.Path));
        Assert.Equal("bazaar-shop", q["MerchantLogin"]);
        Assert.Equal("100.50", q["OutSum"]);
        Assert.Equal(id.ToString(), q["InvId"]);
        Assert.Equal("1", q["IsTest"]);
        Assert.Equal(user.Id.ToString(), q["Shp_user"]);
        Assert.Equal(Md5Hex($"bazaar-shop:100.50:{id}:pass-one-Ab1:Shp_user={user.Id}"), q["SignatureValue"]);
    }

    [Fact]
    public async Task A_signed_result_credits_once_and_answers_OK_InvId_even_when_repeated_concurrently()
    {
        var user = await MoneyTestData.CreateUserAsync(factory);
        var id = (await PaymentTestData.CreatePaymentAsync(factory, user.Id, "robokassa", 100.5m, "RUB")).GetProperty("id").GetInt64();
        // Robokassa sends the signature in upper case; it is compared case-insensitively.
        var signature = Md5Hex($"100.50:{id}:pass-two-Cd2:Shp_user={user.Id}").ToUpperInvariant();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => PostResult("100.50", id, signature, user.Id)));

        foreach (var r in responses)
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal("text/plain", r.Content.Headers.ContentType?.MediaType);
            Assert.Equal($"OK{id}", await r.Content.ReadAsStringAsync());
        }
        Assert.Equal(100_50, await MoneyTestData.BalanceAsync(factory, user.Id, "RUB"));
        Assert.Equal("COMPLETED", (await PaymentTestData.GetPaymentAsync(factory, id)).GetProperty("status").GetString());
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task A_bad_signature_or_a_different_sum_is_a_400_and_credits_nothing()
    {
        var user = await MoneyTestData.CreateUserAsync(factory);
        var id = (await PaymentTestData.CreatePaymentAsync(factory, user.Id, "robokassa", 10m, "RUB")).GetProperty("id").GetInt64();

        await (await PostResult("10.00", id, Md5Hex($"10.00:{id}:pass-one-Ab1:Shp_user={user.Id}"), user.Id)).AssertProblem(400, "bad_signature");
        await (await PostResult("10.00", id, Md5Hex($"10.00:{id}:pass-two-Cd2"), user.Id)).AssertProblem(400, "bad_signature");
        await (await PostResult("1.00", id, Md5Hex($"1.00:{id}:pass-two-Cd2:Shp_user={user.Id}"), user.Id)).AssertProblem(400, "amount_mismatch");

        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, user.Id, "RUB"));
        Assert.Equal("PENDING", (await PaymentTestData.GetPaymentAsync(factory, id)).GetProperty("status").GetString());
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task The_success_and_fail_pages_are_friendly_html()
    {
        using var client = factory.CreateClient();
        var ok = await client.GetAsync("/payments/robokassa/success?OutSum=10.00&InvId=5&SignatureValue=x");
        Assert.Equal("text/html", ok.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Thank you", await ok.Content.ReadAsStringAsync());
        var fail = await client.GetAsync("/payments/robokassa/fail?OutSum=10.00&InvId=5");
        Assert.Contains("not completed", await fail.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("SHA256")]
    [InlineData("SHA512")]
    [InlineData("MD5")]
    public void Each_configured_algorithm_signs_and_verifies_like_the_worked_example(string algorithm)
    {
        var options = Options.Create(new PaymentsOptions
        {
            Robokassa = new PaymentsOptions.RobokassaOptions
            {
                MerchantLogin = "demo", Password1 = "p1", Password2 = "p2", HashAlgorithm = algorithm,
            },
        });
        var robokassa = new RobokassaPayments(options);
        var text = Encoding.UTF8.GetBytes("15.25:42:p2:Shp_a=1:Shp_b=2");
        var expected = Convert.ToHexString(algorithm switch
        {
            "SHA256" => SHA256.HashData(text), "SHA512" => SHA512.HashData(text), _ => MD5.HashData(text),
        });

        var shp = new[] { new KeyValuePair<string, string>("Shp_b", "2"), new KeyValuePair<string, string>("Shp_a", "1") };
        Assert.True(robokassa.VerifyResult("15.25", "42", expected, shp));
        Assert.True(robokassa.VerifyResult("15.25", "42", expected.ToLowerInvariant(), shp));
        Assert.False(robokassa.VerifyResult("15.26", "42", expected, shp));
        Assert.False(robokassa.VerifyResult("15.25", "42", expected, shp.Take(1)));
        Assert.False(robokassa.VerifyResult("15.25", "42", "nothex", shp));
    }
}
