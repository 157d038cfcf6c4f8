package dev.mlb.testkit.sim;

import dev.mlb.api.IpAddress;

/** One end of a flow ({@link #reset} makes it a flow's end): the simulator's, reused within a flow. */
final class End {
  /** Where an end lives. */
  enum Place { LAN, ROUTER, INTERNET }

  Place place;
  String name;
  IpAddress address;
  int port;
  /** The mark the end's socket puts on every packet it sends (the router's own flows only). */
  long socketMark;
  /** The other end's address and port as this end last saw them (it answers there). */
  IpAddress peer;
  int peerPort;

  End reset(Place place, String name, IpAddress address, int port) {
    this.place = place;
    this.name = name;
    this.address = address;
    this.port = port;
    this.peer = null;
    this.peerPort = 0;
    this.socketMark = 0;
    return this;
  }

  String describe() {
    return name + (address == null ? "" : " " + address) + ":" + port;
  }
}
