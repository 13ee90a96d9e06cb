using System.Net;
using System.Text.RegularExpressions;
using Bazaar.Server.Admin;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Bazaar.Server.Payments;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Dashboard;

/// <summary>The server with the bot on a fake Bot API, manual bank deposits, and one operator per role.</summary>
public class DashboardAppFactory : BotAppFactory
{
    public const string Password = "operator-pass-123";
    public const string OwnerPassword = "owner-pass-123"; // AppFactory's Admin:Password, the seeded owner

    public DashboardAppFactory()
    {
        With("Shop:Currency", "USD");
        With("Payments:Manual:Instructions:Bank", "Transfer {amount} with the title {reference}.");
        With("Dashboard:LockoutFailures", "5");
        With("Dashboard:LockoutMinutes", "15");
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await WithDb(async db =>
        {
            foreach (var role in new[] { OperatorRoles.Manager, OperatorRoles.Support })
                db.Operators.Add(new Operator { Username = role, PasswordHash = PasswordHash.Create(Password), Role = role, CreatedAt = Clock.GetUtcNow().UtcDateTime });
            await db.SaveChangesAsync();
        });
    }

    public static string UsernameFor(string role) => role == OperatorRoles.Owner ? "owner" : role;
    public static string PasswordFor(string role) => role == OperatorRoles.Owner ? OwnerPassword : Password;

    /// <summary>A browser-like client: keeps cookies, does not follow redirects.</summary>
    public HttpClient Browser() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    public async Task<HttpClient> SignedIn(string role)
    {
        var c = Browser();
        var r = await DashboardTestData.SignIn(c, UsernameFor(role), PasswordFor(role));
        Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
        return c;
    }

    /// <summary>A chat user on Telegram with a fresh id.</summary>
    public Task<ChatUser> UserAsync(string name = "Carol") => WithDb(async db =>
    {
        var external = Updates.NewUserId();
        var u = new ChatUser { Channel = ChatChannel.Telegram, ExternalId = external.ToString(), FirstName = name, Username = $"{name.ToLowerInvariant()}{external}",
            CreatedAt = Clock.GetUtcNow().UtcDateTime, LastSeenAt = Clock.GetUtcNow().UtcDateTime };
        db.Users.Add(u);
        await db.SaveChangesAsync();
        return u;
    });

    public async Task<(long UserId, long PaymentId)> PendingDepositAsync(long amountMinor = 2500, string channel = ChatChannel.Telegram)
    {
        var external = Updates.NewUserId();
        return await WithDb(async db =>
        {
            var user = new ChatUser { Channel = channel, ExternalId = external.ToString(), FirstName = "Dora", Username = $"dora{external}",
                CreatedAt = Clock.GetUtcNow().UtcDateTime, LastSeenAt = Clock.GetUtcNow().UtcDateTime };
            db.Users.Add(user);
            await db.SaveChangesAsync();
            var p = new Payment
            {
                UserId = user.Id, Method = PaymentMethod.ManualBank, Purpose = PaymentPurpose.WalletTopup, Amount = amountMinor, Currency = "USD",
                PayAmount = amountMinor, PayCurrency = "USD", Reference = ManualTransfers.NewReference(), CreatedAt = Clock.GetUtcNow().UtcDateTime,
                ProofFileId = "AgAD-proof-" + external, ProofKind = "photo", ProofAt = Clock.GetUtcNow().UtcDateTime,
            };
            db.Payments.Add(p);
            await db.SaveChangesAsync();
            return (user.Id, p.Id);
        });
    }
}

public static partial class DashboardTestData
{
    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

    public static string Token(string html) => WebUtility.HtmlDecode(TokenPattern().Match(html).Groups[1].Value);

    public static async Task<HttpResponseMessage> SignIn(HttpClient c, string username, string password, string? returnUrl = null)
    {
        var form = await (await c.GetAsync("/admin/signin")).Content.ReadAsStringAsync();
        return await c.PostAsync("/admin/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = Token(form), ["username"] = username, ["password"] = password, ["returnUrl"] = returnUrl ?? "",
        }));
    }

    /// <summary>Posts a form with a token taken from a page the signed-in operator can open.</summary>
    public static async Task<HttpResponseMessage> PostForm(HttpClient c, string url, Dictionary<string, string>? fields = null, string tokenPage = "/admin")
    {
        var page = await c.GetAsync(tokenPage);
        var html = await page.Content.ReadAsStringAsync();
        var values = new Dictionary<string, string>(fields ?? []) { ["__RequestVerificationToken"] = Token(html) };
        return await c.PostAsync(url, new FormUrlEncodedContent(values));
    }

    /// <summary>Posts a form, repeating a field for each value (e.g. several ids).</summary>
    public static async Task<HttpResponseMessage> PostFields(HttpClient c, string url, IEnumerable<KeyValuePair<string, string>> fields, string tokenPage = "/admin")
    {
        var html = await (await c.GetAsync(tokenPage)).Content.ReadAsStringAsync();
        return await c.PostAsync(url, new FormUrlEncodedContent(fields.Append(new("__RequestVerificationToken", Token(html)))));
    }

    /// <summary>Posts a multipart form (file uploads) with the anti-forgery token.</summary>
    public static async Task<HttpResponseMessage> PostMultipart(HttpClient c, string url, Dictionary<string, string> fields,
        (string Field, string FileName, string ContentType, byte[] Bytes)? file = null, string tokenPage = "/admin")
    {
        var html = await (await c.GetAsync(tokenPage)).Content.ReadAsStringAsync();
        var content = new MultipartFormDataContent { { new StringContent(Token(html)), "__RequestVerificationToken" } };
        foreach (var (k, v) in fields) content.Add(new StringContent(v), k);
        if (file is { } f)
        {
            var bytes = new ByteArrayContent(f.Bytes);
            bytes.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(f.ContentType);
            content.Add(bytes, f.Field, f.FileName);
        }
        return await c.PostAsync(url, content);
    }

    /// <summary>The flash message shown after a redirect ("!"-prefixed when it is an error).</summary>
    public static async Task<string> FlashOrError(HttpClient c, HttpResponseMessage redirect)
    {
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        var html = await (await c.GetAsync(redirect.Headers.Location!.ToString())).Content.ReadAsStringAsync();
        var m = Regex.Match(html, "<div class=\"flash (flash-ok|flash-error)\" role=\"status\">([^<]*)</div>");
        return (m.Groups[1].Value == "flash-error" ? "!" : "") + WebUtility.HtmlDecode(m.Groups[2].Value);
    }

    public static async Task<string> Flash(HttpClient c, HttpResponseMessage redirect)
    {
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        var html = await (await c.GetAsync(redirect.Headers.Location!.ToString())).Content.ReadAsStringAsync();
        var m = Regex.Match(html, "<div class=\"flash[^\"]*\" role=\"status\">([^<]*)</div>");
        return WebUtility.HtmlDecode(m.Groups[1].Value);
    }
}
