using Cdc.Listener.Source;
using Npgsql;

namespace Cdc.Listener.Tests.Source;

/// <summary>
/// Server errors are classified by SQLSTATE and, where the SQLSTATE names no object, by the catalog: the message
/// text (German here, as a server with lc_messages = de_DE sends it) plays no part.
/// </summary>
public sealed class ReplicationErrorsTests
{
    private static PostgresException Error(string sqlState, string text) => new(text, "FEHLER", "ERROR", sqlState);

    private static readonly PostgresException UndefinedObject = Error(PostgresErrorCodes.UndefinedObject, "Publikation »cdc_pub« existiert nicht");
    private static readonly PostgresException NotInPrerequisiteState =
        Error(PostgresErrorCodes.ObjectNotInPrerequisiteState, "kann nicht aus logischem Replikations-Slot »cdc_slot« lesen");

    [Fact]
    public void A_missing_slot_is_fatal_whatever_the_text_says()
    {
        var e = ReplicationErrors.Classify(UndefinedObject, "cdc_slot", "cdc_pub", new SlotAndPublication(SlotExists: false, SlotInvalidated: false, PublicationExists: true));

        Assert.False(e.IsTransient);
        Assert.StartsWith("slot 'cdc_slot' does not exist any more", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_publication_is_fatal_and_named()
    {
        var e = ReplicationErrors.Classify(UndefinedObject, "cdc_slot", "cdc_pub", new SlotAndPublication(SlotExists: true, SlotInvalidated: false, PublicationExists: false));

        Assert.False(e.IsTransient);
        Assert.StartsWith("publication 'cdc_pub' does not exist", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalidated_slot_is_fatal()
    {
        var e = ReplicationErrors.Classify(NotInPrerequisiteState, "cdc_slot", "cdc_pub", new SlotAndPublication(SlotExists: true, SlotInvalidated: true, PublicationExists: true));

        Assert.False(e.IsTransient);
        Assert.StartsWith("slot 'cdc_slot' was invalidated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Prerequisite_state_with_a_healthy_slot_is_transient()
    {
        var e = ReplicationErrors.Classify(NotInPrerequisiteState, "cdc_slot", "cdc_pub", new SlotAndPublication(SlotExists: true, SlotInvalidated: false, PublicationExists: true));

        Assert.True(e.IsTransient);
    }

    [Fact]
    public void Without_the_catalog_an_ambiguous_error_stays_transient_so_the_next_attempt_asks_again()
    {
        Assert.True(ReplicationErrors.Classify(UndefinedObject, "cdc_slot", "cdc_pub", catalog: null).IsTransient);
        Assert.True(ReplicationErrors.Classify(NotInPrerequisiteState, "cdc_slot", "cdc_pub", catalog: null).IsTransient);
    }

    [Theory]
    [InlineData(PostgresErrorCodes.UndefinedObject, true)]
    [InlineData(PostgresErrorCodes.ObjectNotInPrerequisiteState, true)]
    [InlineData(PostgresErrorCodes.ObjectInUse, false)]
    [InlineData(PostgresErrorCodes.AdminShutdown, false)]
    public void Only_the_sqlstates_that_name_no_object_need_the_catalog(string sqlState, bool needsCatalog)
        => Assert.Equal(needsCatalog, ReplicationErrors.NeedsCatalog(Error(sqlState, "irgendwas")));

    [Theory]
    [InlineData(PostgresErrorCodes.InvalidPassword)]
    [InlineData(PostgresErrorCodes.InvalidAuthorizationSpecification)]
    [InlineData(PostgresErrorCodes.InsufficientPrivilege)]
    public void A_refusal_is_fatal(string sqlState)
        => Assert.False(ReplicationErrors.Classify(Error(sqlState, "Passwort-Authentifizierung fehlgeschlagen"), "s", "p").IsTransient);

    [Fact]
    public void A_busy_slot_waits_as_a_standby()
        => Assert.IsType<SlotBusyException>(
            ReplicationErrors.Classify(Error(PostgresErrorCodes.ObjectInUse, "Replikations-Slot »s« ist aktiv für PID 4711"), "s", "p"));
}
