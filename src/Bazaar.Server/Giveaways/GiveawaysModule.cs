using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;

namespace Bazaar.Server.Giveaways;

public static class GiveawaysModule
{
    public static IServiceCollection AddGiveaways(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<GiveawayOptions>(config.GetSection("Giveaways"));
        var postSeconds = Math.Max(1, config.GetValue("Giveaways:PostEditSeconds", 30));
        services.AddScoped<GiveawayEntry>();
        services.AddScoped<GiveawayJoining>();
        services.AddScoped<ChatMembers>();
        services.AddScoped<Beacons>();
        services.AddScoped<GiveawayPosts>();
        services.AddScoped<WinnerDrawing>();
        services.AddScoped<GiveawayBot>();
        services.AddScoped<GiveawayCreation>();
        services.AddJobHandler<AdminCheckJob>(AdminCheckJob.JobType);
        services.AddScoped<IDemoSeed, GiveawayDemoSeed>();
        services.AddJobHandler<SubscriptionCheckJob>(SubscriptionCheckJob.JobType);
        services.AddJobHandler<DrawJob>(DrawJob.JobType);
        services.AddJobHandler<DueDrawsJob>(DueDrawsJob.JobType);
        // Giveaways:Schedules=false leaves the three schedules out (the test host does, so tests counting a scheduler's
        // fires see only their own); the handlers stay registered.
        var scheduled = config.GetValue("Giveaways:Schedules", true);
        if (scheduled) services.AddRecurringJob(DueDrawsJob.JobType, TimeSpan.FromMinutes(1), DueDrawsJob.JobType);
        services.AddJobHandler<PostRefreshJob>(PostRefreshJob.JobType);
        if (scheduled) services.AddRecurringJob(PostRefreshJob.JobType, TimeSpan.FromSeconds(postSeconds), PostRefreshJob.JobType);
        services.AddJobHandler<WinnerDeliveryJob>(WinnerDeliveryJob.JobType);
        if (scheduled) services.AddRecurringJob(WinnerDeliveryJob.JobType, TimeSpan.FromMinutes(1), WinnerDeliveryJob.JobType);
        services.AddBotRoutes(GiveawayBot.Register);
        services.AddBotRoutes(GiveawayCreation.Register);
        return services;
    }

    public static IEndpointRouteBuilder MapGiveawaysApi(this IEndpointRouteBuilder app)
    {
        app.MapGiveawayApi();
        app.MapParticipantApi();
        return app;
    }
}
