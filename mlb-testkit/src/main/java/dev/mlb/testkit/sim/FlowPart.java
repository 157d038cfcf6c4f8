package dev.mlb.testkit.sim;

/**
 * Which packets of a flow's script (see {@link Simulator}) one call sends: from index
 * {@code tcpFrom} to {@code tcpTo} (UDP: {@code udpFrom} to {@code udpTo}), and whether the flow
 * is open before ({@code resumes}: its ends and connections are taken up again) and after
 * ({@code keeps}).
 */
enum FlowPart {
  WHOLE(0, 8, 0, 4, false, false),
  OPEN(0, 5, 0, 4, false, true),
  EXCHANGE(3, 5, 0, 4, true, true),
  CLOSE(5, 8, 0, 0, true, false);

  final int tcpFrom;
  final int tcpTo;
  final int udpFrom;
  final int udpTo;
  final boolean resumes;
  final boolean keeps;

  FlowPart(int tcpFrom, int tcpTo, int udpFrom, int udpTo, boolean resumes, boolean keeps) {
    this.tcpFrom = tcpFrom;
    this.tcpTo = tcpTo;
    this.udpFrom = udpFrom;
    this.udpTo = udpTo;
    this.resumes = resumes;
    this.keeps = keeps;
  }
}
