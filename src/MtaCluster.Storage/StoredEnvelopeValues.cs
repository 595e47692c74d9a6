using MtaCluster.Mail;

namespace MtaCluster.Storage;

/// <summary>
/// The numbers the spool stores for the envelope's enums (columns <c>body_type</c>, <c>ret</c>,
/// <c>notify</c>). They are part of the on-disk format and fixed here value by value, so that
/// reordering or renumbering an enum in <see cref="MtaCluster.Mail"/> cannot change what a row
/// already on disk means. A value this version does not know is refused, not guessed.
/// </summary>
public static class StoredEnvelopeValues
{
    private const int NotifyNever = 1;
    private const int NotifySuccess = 2;
    private const int NotifyFailure = 4;
    private const int NotifyDelay = 8;

    public static int FromBodyType(MessageBodyType bodyType) => bodyType switch
    {
        MessageBodyType.SevenBit => 0,
        MessageBodyType.EightBitMime => 1,
        MessageBodyType.BinaryMime => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(bodyType), bodyType, null),
    };

    public static MessageBodyType ToBodyType(long stored) => stored switch
    {
        0 => MessageBodyType.SevenBit,
        1 => MessageBodyType.EightBitMime,
        2 => MessageBodyType.BinaryMime,
        _ => throw Unknown("body_type", stored),
    };

    public static int FromReturn(DsnReturn ret) => ret switch
    {
        DsnReturn.NotGiven => 0,
        DsnReturn.Full => 1,
        DsnReturn.Headers => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(ret), ret, null),
    };

    public static DsnReturn ToReturn(long stored) => stored switch
    {
        0 => DsnReturn.NotGiven,
        1 => DsnReturn.Full,
        2 => DsnReturn.Headers,
        _ => throw Unknown("ret", stored),
    };

    public static int FromNotify(DsnNotify notify)
    {
        if ((notify & ~(DsnNotify.Never | DsnNotify.Success | DsnNotify.Failure | DsnNotify.Delay)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(notify), notify, null);
        }

        int stored = 0;
        stored |= (notify & DsnNotify.Never) != 0 ? NotifyNever : 0;
        stored |= (notify & DsnNotify.Success) != 0 ? NotifySuccess : 0;
        stored |= (notify & DsnNotify.Failure) != 0 ? NotifyFailure : 0;
        stored |= (notify & DsnNotify.Delay) != 0 ? NotifyDelay : 0;
        return stored;
    }

    /// <summary>0 is "no NOTIFY given", as it has been since the first schema.</summary>
    public static DsnNotify ToNotify(long stored)
    {
        if ((stored & ~(long)(NotifyNever | NotifySuccess | NotifyFailure | NotifyDelay)) != 0)
        {
            throw Unknown("notify", stored);
        }

        DsnNotify notify = DsnNotify.NotGiven;
        notify |= (stored & NotifyNever) != 0 ? DsnNotify.Never : DsnNotify.NotGiven;
        notify |= (stored & NotifySuccess) != 0 ? DsnNotify.Success : DsnNotify.NotGiven;
        notify |= (stored & NotifyFailure) != 0 ? DsnNotify.Failure : DsnNotify.NotGiven;
        notify |= (stored & NotifyDelay) != 0 ? DsnNotify.Delay : DsnNotify.NotGiven;
        return notify;
    }

    private static InvalidDataException Unknown(string column, long stored) =>
        new($"The spool holds {column} = {stored}, which this version does not know; it was written by a newer one.");
}
