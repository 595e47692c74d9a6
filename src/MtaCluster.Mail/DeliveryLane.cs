namespace MtaCluster.Mail;

/// <summary>
/// Which of a destination's two queues a message waits in. Transactional mail (password resets,
/// receipts) is sent before bulk mail (campaigns) due to the same domain, with a floor of the sends
/// kept for bulk so it is never starved.
/// </summary>
/// <remarks>
/// Bulk is the type's default value: a lane nobody chose is the one that promises least.
/// The numbers are what the spool stores; do not renumber.
/// </remarks>
public enum DeliveryLane
{
    Bulk = 0,
    Transactional = 1,
}
