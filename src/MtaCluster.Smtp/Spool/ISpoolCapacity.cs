namespace MtaCluster.Smtp.Spool;

/// <summary>
/// Whether the spool can take new mail, asked at every MAIL command: implementations answer from a value
/// they keep current in the background (a free-space monitor), never by measuring the disk on the call.
/// </summary>
public interface ISpoolCapacity
{
    /// <summary>False: MAIL is answered 452 4.3.1 until it turns true again.</summary>
    bool HasRoomForNewMail { get; }
}
