using System.Net;
using System.Text.RegularExpressions;
using Bazaar.Tests.Hosting;

namespace Bazaar.Tests.Operations;

/// <summary>Two server processes on one database, each with its own home folder (as on two machines).</summary>
public sealed class SharedKeysTests
{
    [Fact]
    public async Task A_dashboard_cookie_issued_by_one_instance_is_accepted_by_another_on_the_same_database()
    {
        var dir = Path.Combine(Path.GetTempPath(), "bazaar-tests", $"keys-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        await using var db = await TestDatabase.CreateAsync();
        Dictionary<string, string> Env(string home) => new()
        {
            ["HOME"] = Path.Combine(dir, home), // the default key ring would be under $HOME/.aspnet: different per machine
            ["Admin__Username"] = "owner", ["Admin__Password"] = "owner-pass-123",
        };
        try
        {
            await using var a = await ServerProcess.StartAsync(db, Env("a"));
            await using var b = await ServerProcess.StartAsync(db, Env("b"));

            var cookies = new CookieContainer();
            using var browserA = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = new Uri(a.Url) };
            var form = await (await browserA.GetAsync("/admin/signin")).Content.ReadAsStringAsync();
            var token = WebUtility.HtmlDecode(Regex.Match(form, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value);
            var signIn = await browserA.PostAsync("/admin/signin", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["__RequestVerificationToken"] = token, ["username"] = "owner", ["password"] = "owner-pass-123", ["returnUrl"] = "",
            }));
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
            var session = cookies.GetCookies(new Uri(a.Url + "/admin")).Single(c => c.Name == "bz_admin");
            Assert.Equal(HttpStatusCode.OK, (await browserA.GetAsync("/admin")).StatusCode);

            using var browserB = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(b.Url) };
            var request = new HttpRequestMessage(HttpMethod.Get, "/admin");
            request.Headers.Add("Cookie", $"bz_admin={session.Value}");
            var onB = await browserB.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, onB.StatusCode);

            // A forged cookie is still refused (B sends it to sign in), so the 200 above is the cookie's doing.
            var forged = new HttpRequestMessage(HttpMethod.Get, "/admin");
            forged.Headers.Add("Cookie", "bz_admin=" + session.Value[..^4] + "AAAA");
            Assert.Equal(HttpStatusCode.Redirect, (await browserB.SendAsync(forged)).StatusCode);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
