using Bazaar.Server.Hosting;
using System.Reflection;
using Bazaar.Server.Conversations;
using Microsoft.AspNetCore.Antiforgery;
using Bazaar.Server.Admin;
using Bazaar.Server.Data;
using Bazaar.Server.Payments;
using Bazaar.Server.Referrals;

namespace Bazaar.Server.Dashboard;

/// <summary>
/// The operators' web dashboard at /admin: server-rendered pages (minimal API returning HTML), htmx and Chart.js
/// served from the server itself, cookie sign-in with the operator accounts, three roles, and an audit log.
/// </summary>
public static class DashboardModule
{
    public static IServiceCollection AddDashboard(this IServiceCollection services, IConfiguration config)
    {
        services.AddHttpContextAccessor();
        DashboardAuth.Add(services, config);
        services.AddScoped<AuditLog>();
        services.AddSingleton<LedgerCheckStatus>();
        services.AddScoped<AdminBot>();
        // What the owner edits under Settings overrides these sections of configuration at run time.
        services.AddSingleton<RuntimeSettings>();
        services.AddScoped<IStartupSeed, RuntimeSettingsSeed>();
        services.AddHostedService<RuntimeSettingsRefresh>();
        services.AddSettingsOverlay<AdminOptions>("Admin");
        services.AddSettingsOverlay<PaymentsOptions>("Payments");
        services.AddSettingsOverlay<ReferralOptions>("Referrals");
        services.AddBotRoutes(r =>
        {
            r.Use(UserBans.Middleware);
            AdminBot.Register(r);
        });
        return services;
    }

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        var root = app.MapGroup("/admin").ExcludeFromDescription();
        root.MapGet("/assets/{file}", Asset).AllowAnonymous();
        root.MapGet("/signin", SignInPages.Form).AllowAnonymous();
        root.MapPost("/signin", SignInPages.Submit).AllowAnonymous().AddEndpointFilter(RequireAntiforgery);

        var any = root.MapGroup("").RequireAuthorization(DashboardAuth.Any);
        var manage = root.MapGroup("").RequireAuthorization(DashboardAuth.Manage);
        var owner = root.MapGroup("").RequireAuthorization(DashboardAuth.Owner);
        foreach (var g in new[] { any, manage, owner }) g.AddEndpointFilter(RequireAntiforgery);

        any.MapPost("/signout", SignInPages.SignOut);
        any.MapGet("/", OverviewPage.Show);
        any.MapGet("/overview/pending", OverviewPage.Pending);

        any.MapGet("/payments", PaymentsPages.Show);
        any.MapGet("/payments/{id:long}/proof", PaymentsPages.Proof);
        any.MapPost("/deposits/{id:long}/approve", PaymentsPages.Approve);
        any.MapPost("/deposits/{id:long}/reject", PaymentsPages.Reject);
        manage.MapPost("/payments/{id:long}/refund", PaymentsPages.Refund);
        any.MapGet("/ledger", PaymentsPages.Ledger);

        any.MapGet("/shop", ShopPages.Products);
        manage.MapPost("/shop/bulk", ShopPages.Bulk);
        manage.MapGet("/shop/products/new", ShopPages.New);
        // A photo upload (5 MB) and a key file (16 MB, as the REST import) are larger than the default body limit.
        manage.MapPost("/shop/products", ShopPages.Save).WithBodyLimit(ShopPages.MaxPhotoBytes + 1024 * 1024);
        any.MapGet("/shop/products/{id:long}", ShopPages.Edit);
        manage.MapPost("/shop/products/{id:long}", ShopPages.Update).WithBodyLimit(ShopPages.MaxPhotoBytes + 1024 * 1024);
        manage.MapPost("/shop/products/{id:long}/units", ShopPages.AddUnits);
        manage.MapPost("/shop/products/{id:long}/keys", ShopPages.ImportKeys).WithBodyLimit(ShopPages.MaxKeyFileBytes + 1024 * 1024);
        manage.MapPost("/shop/products/{id:long}/units/{unitId:long}/delete", ShopPages.DeleteUnit);
        any.MapGet("/shop/orders", ShopPages.Orders);
        any.MapPost("/shop/orders/{id:long}/resend", ShopPages.Resend);

        any.MapGet("/raffles", RafflesPages.List);
        manage.MapPost("/raffles", RafflesPages.Create);
        manage.MapPost("/raffles/bulk", RafflesPages.Bulk);
        any.MapGet("/raffles/{id:long}", RafflesPages.Show);
        manage.MapPost("/raffles/{id:long}", RafflesPages.Update);
        manage.MapPost("/raffles/{id:long}/draw", RafflesPages.Draw);
        any.MapGet("/raffles/orders", RafflesPages.Orders);
        any.MapGet("/raffles/orders/{id:long}/proof", RafflesPages.Proof);
        any.MapPost("/raffles/orders/{id:long}/confirm", RafflesPages.Confirm);
        any.MapPost("/raffles/orders/{id:long}/cancel", RafflesPages.Cancel);
        any.MapPost("/raffles/orders/bulk", RafflesPages.BulkOrders);

        any.MapGet("/giveaways", GiveawaysPages.List);
        manage.MapPost("/giveaways", GiveawaysPages.Create);
        any.MapGet("/giveaways/{id:long}", GiveawaysPages.Show);
        manage.MapPost("/giveaways/{id:long}", GiveawaysPages.Update);
        manage.MapPost("/giveaways/{id:long}/publish", GiveawaysPages.Publish);
        manage.MapPost("/giveaways/{id:long}/draw", GiveawaysPages.Draw);

        any.MapGet("/checks", ChecksPages.Show);
        manage.MapPost("/checks/tariffs", ChecksPages.CreateTariff);
        manage.MapPost("/checks/tariffs/{id:long}", ChecksPages.UpdateTariff);
        manage.MapPost("/checks/{id:long}/cancel", ChecksPages.Cancel);
        manage.MapPost("/checks/{id:long}/retry", ChecksPages.Retry);
        any.MapGet("/checks/{id:long}/report.xlsx", ChecksPages.Report);

        any.MapGet("/users", UsersPages.List);
        any.MapGet("/users/{id:long}", UsersPages.Profile);
        owner.MapPost("/users/{id:long}/adjust", UsersPages.Adjust);
        manage.MapPost("/users/{id:long}/block", UsersPages.Block);
        manage.MapPost("/users/{id:long}/unblock", UsersPages.Unblock);

        any.MapGet("/events", OperationsPages.Events);
        manage.MapPost("/events/{id:long}/retry", OperationsPages.RetryEvent);
        any.MapGet("/jobs", OperationsPages.Jobs);
        manage.MapPost("/jobs/{id:long}/retry", OperationsPages.RetryJob);
        manage.MapPost("/jobs/{id:long}/cancel", OperationsPages.CancelJob);
        any.MapGet("/outbox", OperationsPages.Outbox);
        manage.MapPost("/outbox/{id:long}/retry", OperationsPages.RetryOutbox);

        any.MapGet("/broadcasts", BroadcastsPages.List);
        manage.MapPost("/broadcasts", BroadcastsPages.Create);
        manage.MapPost("/broadcasts/preview", BroadcastsPages.PreviewForm);
        any.MapGet("/broadcasts/{id:long}", BroadcastsPages.Show);
        any.MapGet("/broadcasts/{id:long}/progress", BroadcastsPages.Progress);
        manage.MapPost("/broadcasts/{id:long}/start", BroadcastsPages.Start);
        manage.MapPost("/broadcasts/{id:long}/test", BroadcastsPages.Test);
        manage.MapPost("/broadcasts/{id:long}/pause", BroadcastsPages.Pause);
        manage.MapPost("/broadcasts/{id:long}/resume", BroadcastsPages.Resume);
        manage.MapPost("/broadcasts/{id:long}/cancel", BroadcastsPages.Cancel);

        any.MapGet("/channel-posts", ChannelPostsPages.List);
        manage.MapPost("/channel-posts", ChannelPostsPages.Create);
        any.MapGet("/channel-posts/{id:long}", ChannelPostsPages.Show);
        manage.MapPost("/channel-posts/{id:long}", ChannelPostsPages.Update);
        manage.MapPost("/channel-posts/{id:long}/delete", ChannelPostsPages.Delete);

        any.MapGet("/guides", GuidesPages.List);
        manage.MapPost("/guides", GuidesPages.Create);
        // Not under /guides/, where it would shadow a guide whose topic is "preview".
        manage.MapPost("/guide-preview", GuidesPages.PreviewForm);
        any.MapGet("/guides/{topic}", GuidesPages.Show);
        manage.MapPost("/guides/{topic}", GuidesPages.Update);
        manage.MapPost("/guides/{topic}/delete", GuidesPages.Delete);

        any.MapGet("/mini-app", MiniAppPage.Show);
        manage.MapPost("/mini-app/menu-button", MiniAppPage.SetMenuButton);

        manage.MapGet("/audit", AuditPage.Show);

        owner.MapGet("/settings", SettingsPages.Show);
        owner.MapPost("/settings/api-keys", SettingsPages.CreateKey);
        owner.MapPost("/settings/api-keys/{id:long}/revoke", SettingsPages.RevokeKey);
        owner.MapPost("/settings/operators", SettingsPages.CreateOperator);
        owner.MapPost("/settings/operators/{id:long}/disable", SettingsPages.DisableOperator);
        owner.MapPost("/settings/operators/{id:long}/enable", SettingsPages.EnableOperator);
        owner.MapPost("/settings/operators/{id:long}/role", SettingsPages.ChangeRole);
        owner.MapPost("/settings/admin-ids", SettingsPages.SaveAdminIds);
        owner.MapPost("/settings/payments", SettingsPages.SavePayments);
        owner.MapPost("/settings/referrals", SettingsPages.SaveReferrals);
        owner.MapGet("/settings/texts", SettingsPages.Texts);
        owner.MapPost("/settings/texts", SettingsPages.SaveText);
        return app;
    }

    /// <summary>Every POST needs the form's anti-forgery token (cookie + field, or the X-CSRF-TOKEN header for htmx).</summary>
    private static async ValueTask<object?> RequireAntiforgery(EndpointFilterInvocationContext ctx, EndpointFilterDelegate next)
    {
        var http = ctx.HttpContext;
        if (HttpMethods.IsPost(http.Request.Method) &&
            !await http.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(http))
        {
            return Html.Page(http, "The form has expired", "",
                "<p>This form was opened too long ago or in another session. Go back, reload the page and try again.</p>", 400);
        }
        return await next(ctx);
    }

    private static readonly Dictionary<string, string> Types = new()
    {
        [".js"] = "text/javascript; charset=utf-8", [".css"] = "text/css; charset=utf-8",
        [".txt"] = "text/plain; charset=utf-8", [".md"] = "text/plain; charset=utf-8",
    };

    private static IResult Asset(string file, HttpContext http)
    {
        var ext = Path.GetExtension(file);
        if (!Types.TryGetValue(ext, out var type) || file.Contains('/') || file.Contains(".."))
            return Results.NotFound();
        var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Bazaar.Server.Dashboard.assets." + file);
        if (stream is null) return Results.NotFound();
        http.Response.Headers.CacheControl = "public, max-age=3600";
        return Results.Stream(stream, type);
    }
}
