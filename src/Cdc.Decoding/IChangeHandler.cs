namespace Cdc.Decoding;

/// <summary>Receives what <see cref="ChangeDecoder"/> decodes, in commit order.</summary>
public interface IChangeHandler
{
    /// <summary>One row change, truncated table or logical message. The item is reused: valid only during the call.</summary>
    void OnChange(ChangeItem change);

    /// <summary>A Relation message was applied to the decoder's relation cache (a new table or a schema change).</summary>
    void OnRelation(RelationInfo relation);
}
