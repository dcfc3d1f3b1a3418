// SPDX-License-Identifier: Apache-2.0
// The one compiled copy of Boost.Asio's and Boost.Beast's non-template code. With
// BOOST_ASIO_SEPARATE_COMPILATION and BOOST_BEAST_SEPARATE_COMPILATION (set for hearth_core
// and everything linking it, in CMakeLists.txt) the headers only declare it.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
