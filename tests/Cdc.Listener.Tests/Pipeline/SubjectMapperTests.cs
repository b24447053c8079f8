using System.Globalization;
using Cdc.Decoding;
using Cdc.Listener.Pipeline;
using Cdc.Listener.Telemetry;

namespace Cdc.Listener.Tests.Pipeline;

public sealed class SubjectMapperTests
{
    [Fact]
    public void Message_subjects_sanitise_the_prefix_and_are_reused_for_the_same_prefix()
    {
        var mapper = new SubjectMapper("cdc", "app.db", includeOperation: true);
        var first = mapper.ForMessage("out box.v1");
        Assert.Equal("cdc.app_db._message.out_box_v1", first.Subject);
        Assert.Equal("_message.out box.v1", first.Table);
        Assert.Same(first, mapper.ForMessage("out box.v1"));
        Assert.Equal("cdc.app_db._message._", mapper.ForMessage("").Subject);
    }

    [Fact]
    public void Message_counter_is_the_status_entry_of_the_prefix()
    {
        var changes = new ChangeCounters();
        var subjects = new SubjectMapper("cdc", "db", includeOperation: false).ForMessage("outbox");
        Assert.Same(changes.CounterFor("_message.outbox", "message"), subjects.Counter(changes));
        Assert.Same(subjects.Counter(changes), subjects.Counter(changes));
    }

    [Fact]
    public void Message_prefixes_past_the_first_few_share_one_status_entry_and_metric_label()
    {
        var changes = new ChangeCounters();
        var mapper = new SubjectMapper("cdc", "db", includeOperation: false);
        const int prefixes = 3 * ChangeCounters.MaxMessagePrefixes;
        for (var i = 0; i < prefixes; i++)
        {
            var subjects = mapper.ForMessage("tenant-" + i.ToString(CultureInfo.InvariantCulture));
            changes.CountChange(subjects.Counter(changes), 10);
        }

        // The first prefixes keep their own entry (also when seen again); all later ones count together.
        changes.CountChange(mapper.ForMessage("tenant-0").Counter(changes), 10);
        Assert.Equal(ChangeCounters.MaxMessagePrefixes + 1, changes.Tables.Count);
        Assert.Equal(2, changes.Tables[("_message.tenant-0", "message")].Changes);
        Assert.Equal(prefixes - ChangeCounters.MaxMessagePrefixes, changes.Tables[(ChangeCounters.OtherMessagePrefixes, "message")].Changes);

        // The cdc_changes_total labels are these entries.
        Assert.DoesNotContain(changes.Tables.Keys, k => k.Table.EndsWith("tenant-" + (prefixes - 1).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
    }

    [Fact]
    public void Past_the_cache_bound_message_subjects_are_still_right_but_built_each_time()
    {
        var mapper = new SubjectMapper("cdc", "db", includeOperation: false);
        for (var i = 0; i < SubjectMapper.MaxCachedMessagePrefixes; i++)
        {
            mapper.ForMessage("p" + i.ToString(CultureInfo.InvariantCulture));
        }

        var late = mapper.ForMessage("late.prefix");
        Assert.Equal("cdc.db._message.late_prefix", late.Subject);
        Assert.NotSame(late, mapper.ForMessage("late.prefix"));
        Assert.Same(mapper.ForMessage("p0"), mapper.ForMessage("p0"));
    }

    [Theory]
    [InlineData("slot", 1u, 0x0UL, 0)]
    [InlineData("cdc_slot", 2u, 0x16B3A28UL, 7)]
    [InlineData("s", uint.MaxValue, ulong.MaxValue, int.MaxValue)]
    [InlineData("", 0x1Fu, 0xABCDEF0123456789UL, 1_000_000)]
    [InlineData("slot", 1u, 0x10UL, -1)]
    public void Change_ids_are_slot_fixed_width_hex_timeline_and_lsn_and_index_and_read_back(string slot, uint timeline, ulong lsn, int index)
    {
        var id = MessageIds.ForChange(slot, timeline, new Lsn(lsn), index);
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"{slot}:{timeline:X8}:{lsn:X16}:{index}"), id);
        Assert.True(MessageIds.TryParse(id, out var parsedSlot, out var parsedTimeline, out var parsedLsn, out var parsedIndex));
        Assert.Equal((slot, timeline, lsn, index), (parsedSlot, parsedTimeline, parsedLsn.Value, parsedIndex));
    }

    [Fact]
    public void Schema_ids_read_back_their_position_and_snapshot_ids_do_not_parse()
    {
        Assert.True(MessageIds.TryParse(MessageIds.ForSchema("slot", 3, new Lsn(0x2A), 4, 16384), out _, out var timeline, out var lsn, out var index));
        Assert.Equal((3u, 0x2AUL, 4), (timeline, lsn.Value, index));
        Assert.False(MessageIds.TryParse("slot:000000000000002A:read:public.t:0", out _, out _, out _, out _));
        Assert.False(MessageIds.TryParse("slot:000000000000002A:0", out _, out _, out _, out _));
    }
}
